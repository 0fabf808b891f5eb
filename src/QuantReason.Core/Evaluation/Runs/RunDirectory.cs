using System.Text.Json;
using QuantReason.Data;

namespace QuantReason.Evaluation.Runs;

/// <summary>
/// The one owner of a run directory (data/schemas/run-directory.md): every writer and every C# reader of manifest.json,
/// predictions.jsonl and labels.jsonl goes through this type, so the files have one convention and one schema check.
/// A writer holds <c>.lock</c> for its lifetime, so a second writer is refused instead of interleaving lines; the lock is
/// an OS lock on the open file, released when the process ends however it ends, so a killed run never blocks its resume.
/// Predictions are appended one flushed line at a time; reopening a run reads what is finished so a rerun skips those
/// (problem_id, sample) pairs; a line torn by a crash is cut off first, so a crash loses at most that line. A request that
/// failed is never a prediction: it is counted in the manifest (counts.errors, status incomplete) and retried on resume.
/// </summary>
public sealed class RunDirectory : IDisposable
{
    public const string ManifestFile = "manifest.json";
    public const string PredictionsFile = "predictions.jsonl";
    public const string LabelsFile = "labels.jsonl";
    public const string LockFile = ".lock";

    readonly FileStream _lock;
    readonly FileStream? _predictions;
    readonly HashSet<(string ProblemId, int Sample)> _finished = [];
    readonly List<string> _failures = [];
    int _correct;

    public string Path { get; }
    public RunManifest Manifest { get; private set; }
    public IReadOnlyList<string> Warnings { get; }

    RunDirectory(string path, RunManifest manifest, FileStream lockFile, FileStream? predictions, IEnumerable<PredictionRecord> existing,
        List<string> warnings)
    {
        Path = path; Manifest = manifest; _lock = lockFile; _predictions = predictions; Warnings = warnings;
        foreach (var p in existing) Count(p);
    }

    public int FinishedCount => _finished.Count;
    public int CorrectCount => _correct;
    /// <summary>Requests that failed in this pass: not predictions, not scored, retried when the run is resumed.</summary>
    public int ErrorCount => _failures.Count;
    public IReadOnlyList<string> Failures => _failures;

    public string PredictionsPath => System.IO.Path.Combine(Path, PredictionsFile);
    public string LabelsPath => System.IO.Path.Combine(Path, LabelsFile);

    void Count(PredictionRecord p)
    {
        _finished.Add((p.ProblemId, p.Sample));
        if (p.Correct) _correct++;
    }

    public bool IsFinished(string problemId, int sample) => _finished.Contains((problemId, sample));

    /// <summary>
    /// Opens <paramref name="path"/> for writing: a new run gets <paramref name="manifest"/>; an existing one keeps its
    /// created time and finished predictions (a resume) and is marked running again. Refused while another writer holds it.
    /// </summary>
    public static RunDirectory OpenOrCreate(string path, RunManifest manifest)
    {
        RunConventions.Check(manifest, path);
        Directory.CreateDirectory(path);
        var lockFile = Lock(path);
        try
        {
            var manifestPath = System.IO.Path.Combine(path, ManifestFile);
            var predictionsPath = System.IO.Path.Combine(path, PredictionsFile);
            var warnings = new List<string>();
            var existing = new List<PredictionRecord>();
            if (File.Exists(manifestPath))
            {
                var previous = ReadManifest(path);
                RefuseDifferentSettings(previous, manifest, path);
                manifest = manifest with
                {
                    Created = previous.Created,
                    Backend = manifest.Backend with
                    {
                        Retries = previous.Backend.Retries + manifest.Backend.Retries,
                        Timeouts = previous.Backend.Timeouts + manifest.Backend.Timeouts,
                    },
                };
            }
            if (File.Exists(predictionsPath))
            {
                TruncateTornLine(predictionsPath, warnings);
                existing.AddRange(ReadNumbered<PredictionRecord>(predictionsPath, "prediction", warnings, strict: false).Select(p => p.Record));
                existing = DropFailedRequests(predictionsPath, existing, warnings);
            }
            var stream = new FileStream(predictionsPath, FileMode.Append, FileAccess.Write, FileShare.Read);
            var run = new RunDirectory(path, manifest with { Status = RunStatus.Running }, lockFile, stream, existing, warnings);
            run.WriteManifest();
            return run;
        }
        catch
        {
            lockFile.Dispose();
            throw;
        }
    }

    /// <summary>Opens an existing run to add derived files (labels) under the writer's lock; its predictions stay as they are.</summary>
    public static RunDirectory Open(string path)
    {
        var manifest = ReadManifest(path);
        var lockFile = Lock(path);
        return new RunDirectory(path, manifest, lockFile, null, [], []);
    }

    /// <summary>
    /// Takes the run's lock: <c>.lock</c> opened with no sharing, held until <see cref="Dispose"/>. The OS drops the lock
    /// with the process, so a file left behind by a killed writer is simply reused.
    /// </summary>
    static FileStream Lock(string path)
    {
        var lockPath = System.IO.Path.Combine(path, LockFile);
        try
        {
            return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new QuantReasonException(
                $"another process is writing this run directory (it holds {LockFile}); wait for it to finish or choose another run directory",
                path, e);
        }
    }

    /// <summary>
    /// A resume must produce what the first attempt would have: predictions made with another dataset, prompt or
    /// generation setting would silently mix into the run, so those are refused.
    /// </summary>
    static void RefuseDifferentSettings(RunManifest previous, RunManifest next, string path)
    {
        var differences = new List<string>();
        if (previous.Dataset.Digest != next.Dataset.Digest || previous.Dataset.Name != next.Dataset.Name) differences.Add("dataset");
        if (previous.Prompt != next.Prompt) differences.Add("prompt");
        if (previous.Generation != next.Generation) differences.Add("generation settings");
        if (previous.Model.Digest != next.Model.Digest || previous.Model.Name != next.Model.Name) differences.Add("model");
        if (previous.Adapter?.Digest != next.Adapter?.Digest) differences.Add("adapter");
        if (differences.Count > 0)
            throw new QuantReasonException(
                $"this run was made with a different {string.Join(", ", differences)}; resume it with the same settings or choose another run directory",
                path);
    }

    /// <summary>
    /// Earlier versions wrote a failed request as a prediction with finish_reason "error" (and scored it wrong); such
    /// lines are removed, every other line kept byte for byte, so the resume retries those requests.
    /// </summary>
    static List<PredictionRecord> DropFailedRequests(string path, List<PredictionRecord> existing, List<string> warnings)
    {
        var failed = existing.Count(p => p.FinishReason == FinishReason.Error);
        if (failed == 0) return existing;
        static bool IsFailedRequest(string line)
        {
            try
            {
                using var doc = JsonDocument.Parse(line);
                return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("finish_reason", out var f)
                    && f.ValueKind == JsonValueKind.String && f.GetString() == "error";
            }
            catch (JsonException) { return false; }
        }
        var temp = path + ".tmp";
        File.WriteAllText(temp, string.Concat(File.ReadLines(path).Where(l => !IsFailedRequest(l)).Select(l => l + "\n")));
        File.Move(temp, path, overwrite: true);
        warnings.Add($"{path}: removed {failed} failed requests recorded as predictions by an earlier version; they are retried now");
        return existing.Where(p => p.FinishReason != FinishReason.Error).ToList();
    }

    static void WriteLine(Stream stream, object record)
    {
        stream.Write(JsonSerializer.SerializeToUtf8Bytes(record, record.GetType(), RunJson.Line));
        stream.WriteByte((byte)'\n');
    }

    /// <summary>Appends one prediction and flushes it to disk before returning.</summary>
    public void Append(PredictionRecord record)
    {
        var stream = _predictions ?? throw new InvalidOperationException("the run was opened for labels only");
        if (record.FinishReason == FinishReason.Error)
            throw new QuantReasonException($"prediction ({record.ProblemId}, {record.Sample}) is a failed request; record it with Fail", Path);
        if (_finished.Contains((record.ProblemId, record.Sample)))
            throw new QuantReasonException($"prediction ({record.ProblemId}, {record.Sample}) already written", Path);
        WriteLine(stream, record);
        stream.Flush(flushToDisk: true);
        Count(record);
    }

    /// <summary>Records a request that failed: counted in the manifest, never written as a prediction, retried on resume.</summary>
    public void Fail(string problemId, int sample, string reason) => _failures.Add($"({problemId}, {sample}): {reason}");

    /// <summary>The manifest's counts now; the status is <c>complete</c> only when every expected sample is a prediction.</summary>
    public RunCounts Counts(int problems) => new(problems, FinishedCount, CorrectCount, ErrorCount);

    public void Update(Func<RunManifest, RunManifest> change)
    {
        Manifest = change(Manifest);
        RunConventions.Check(Manifest, Path);
        WriteManifest();
    }

    /// <summary>Writes the manifest through a temporary file so a crash never leaves half a manifest.</summary>
    void WriteManifest()
    {
        var target = System.IO.Path.Combine(Path, ManifestFile);
        var temp = target + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(Manifest, RunJson.Document) + "\n");
        File.Move(temp, target, overwrite: true);
    }

    /// <summary>Replaces this run's labels.jsonl with <paramref name="labels"/>; returns how many were written.</summary>
    public int WriteLabels(IEnumerable<LabelRecord> labels) => WriteLabels(LabelsPath, labels);

    /// <summary>
    /// Replaces a labels file. Labels are derived data: written to a partial file line by line and moved into place at
    /// the end, so a rerun never mixes two labelling passes and an interrupted one leaves the previous file intact.
    /// </summary>
    public static int WriteLabels(string labelsPath, IEnumerable<LabelRecord> labels)
    {
        var partial = labelsPath + ".partial";
        var count = 0;
        using (var stream = File.Create(partial))
            foreach (var label in labels)
            {
                WriteLine(stream, label);
                count++;
            }
        File.Move(partial, labelsPath, overwrite: true);
        return count;
    }

    public void Dispose()
    {
        _predictions?.Dispose();
        _lock.Dispose();
    }

    public static RunManifest ReadManifest(string runPath)
    {
        var path = System.IO.Path.Combine(runPath, ManifestFile);
        if (!File.Exists(path)) throw new QuantReasonException("not a run directory: manifest.json is missing", runPath);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var version = doc.RootElement.TryGetProperty("schema_version", out var v) && v.TryGetInt32(out var n) ? n : -1;
        if (version != RunManifest.CurrentSchemaVersion)
            throw new QuantReasonException(
                $"unsupported schema_version {version} (this toolkit reads {RunManifest.CurrentSchemaVersion})", path);
        try { return doc.RootElement.Deserialize<RunManifest>(RunJson.Line)!; }
        catch (JsonException e) { throw new QuantReasonException($"malformed manifest: {e.Message}", path, e); }
    }

    /// <summary>A run's predictions after checking its manifest's schema version.</summary>
    public static List<PredictionRecord> ReadRunPredictions(string runPath, List<string>? warnings = null, bool strict = false)
    {
        ReadManifest(runPath);
        return ReadPredictions(System.IO.Path.Combine(runPath, PredictionsFile), warnings, strict);
    }

    /// <summary>
    /// Reads predictions.jsonl; malformed lines become warnings naming file and line (or fail when strict). Lines an
    /// earlier version wrote for failed requests (finish_reason "error") are no answers: left out, with a warning.
    /// </summary>
    public static List<PredictionRecord> ReadPredictions(string path, List<string>? warnings = null, bool strict = false) =>
        ReadPredictionLines(path, warnings, strict).Select(p => p.Record).ToList();

    /// <summary>Predictions with the <c>file:line</c> each came from, for messages about one of them.</summary>
    public static List<(PredictionRecord Record, string Where)> ReadPredictionLines(string path, List<string>? warnings = null, bool strict = false)
    {
        var lines = ReadNumbered<PredictionRecord>(path, "prediction", warnings, strict);
        var failed = lines.RemoveAll(p => p.Record.FinishReason == FinishReason.Error);
        if (failed > 0) warnings?.Add($"{path}: {failed} failed requests (finish_reason error) are not predictions and are left out; resume the run to retry them");
        return lines;
    }

    /// <summary>One label as its labels.jsonl line (without the newline).</summary>
    public static string LabelLine(LabelRecord label) => JsonSerializer.Serialize(label, RunJson.Line);

    /// <summary>Reads a labels.jsonl file strictly: a line lacking a required field, or with a step outside its solution, is
    /// an error naming file:line (judges and the CLI read labels this way; <see cref="ReadLabels"/> warns and skips).</summary>
    public static IEnumerable<LabelRecord> ReadLabelFile(string path) =>
        Data.StepMath.JsonLines.Read<LabelRecord>(path, "labels", l =>
            l.ProblemId is null ? "problem_id" : l.Labeller is null ? "labeller" : l.Explanation is null ? "explanation"
            : l.FirstErrorStep < -1 || (l.NumSteps > 0 && l.FirstErrorStep > l.NumSteps) ? $"a first_error_step within -1..{l.NumSteps} (has {l.FirstErrorStep})"
            : null, RunJson.Line).Select(r => r.Record);

    /// <summary>A run's labels.jsonl (empty when the run has none).</summary>
    public static List<LabelRecord> ReadLabels(string runPath, List<string>? warnings = null, bool strict = false)
    {
        var path = System.IO.Path.Combine(runPath, LabelsFile);
        return File.Exists(path) ? ReadNumbered<LabelRecord>(path, "label", warnings, strict).Select(l => l.Record).ToList() : [];
    }

    static List<(T Record, string Where)> ReadNumbered<T>(string path, string what, List<string>? warnings, bool strict)
    {
        var read = JsonlReader.Read(path, strict);
        warnings?.AddRange(read.Warnings);
        var records = new List<(T, string)>(read.Lines.Count);
        foreach (var line in read.Lines)
        {
            var where = $"{path}:{line.Line}";
            try { records.Add((line.Value.Deserialize<T>(RunJson.Line)!, where)); }
            catch (JsonException e)
            {
                var message = $"not a {what} record ({e.Message.Split(" Path:")[0]})";
                if (strict) throw new QuantReasonException(message, where);
                warnings?.Add($"{where}: {message}; line skipped");
            }
        }
        return records;
    }

    static void TruncateTornLine(string path, List<string> warnings)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        if (stream.Length == 0) return;
        stream.Seek(-1, SeekOrigin.End);
        if (stream.ReadByte() == '\n') return;
        // Walk back to the last complete line; everything after it is the line a crash interrupted.
        var end = stream.Length - 1;
        var buffer = new byte[1];
        while (end > 0)
        {
            stream.Seek(end - 1, SeekOrigin.Begin);
            stream.ReadExactly(buffer);
            if (buffer[0] == '\n') break;
            end--;
        }
        warnings.Add($"{path}: removed a torn last line of {stream.Length - end} bytes left by an interrupted run");
        stream.SetLength(end);
    }
}
