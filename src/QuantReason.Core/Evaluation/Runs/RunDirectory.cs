using System.Text;
using System.Text.Json;
using QuantReason.Data;

namespace QuantReason.Evaluation.Runs;

/// <summary>
/// A run directory (data/schemas/run-directory.md): manifest.json plus predictions.jsonl, appended one flushed line at a
/// time. Opening an existing run reads what is finished so a rerun skips those (problem_id, sample) pairs; a line torn
/// by a crash is cut off first, so a crash loses at most that line.
/// </summary>
public sealed class RunDirectory : IDisposable
{
    public const string ManifestFile = "manifest.json";
    public const string PredictionsFile = "predictions.jsonl";

    readonly FileStream _predictions;
    readonly HashSet<(string ProblemId, int Sample)> _finished = [];

    public string Path { get; }
    public RunManifest Manifest { get; private set; }
    public IReadOnlyList<string> Warnings { get; }

    RunDirectory(string path, RunManifest manifest, FileStream predictions, IEnumerable<PredictionRecord> existing, List<string> warnings)
    {
        Path = path; Manifest = manifest; _predictions = predictions; Warnings = warnings;
        foreach (var p in existing) Count(p);
    }

    int _correct;
    int _errors;

    public int FinishedCount => _finished.Count;
    public int CorrectCount => _correct;
    public int ErrorCount => _errors;

    void Count(PredictionRecord p)
    {
        _finished.Add((p.ProblemId, p.Sample));
        if (p.Correct) _correct++;
        if (p.FinishReason == FinishReason.Error) _errors++;
    }

    public bool IsFinished(string problemId, int sample) => _finished.Contains((problemId, sample));

    /// <summary>
    /// Opens <paramref name="path"/> for writing: a new run gets <paramref name="manifest"/>; an existing one keeps its
    /// created time and finished predictions (a resume) and is marked running again.
    /// </summary>
    public static RunDirectory OpenOrCreate(string path, RunManifest manifest)
    {
        Directory.CreateDirectory(path);
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
            existing.AddRange(ReadPredictions(predictionsPath, warnings));
        }
        var stream = new FileStream(predictionsPath, FileMode.Append, FileAccess.Write, FileShare.Read);
        var run = new RunDirectory(path, manifest with { Status = RunStatus.Running }, stream, existing, warnings);
        run.WriteManifest();
        return run;
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
        if (differences.Count > 0)
            throw new QuantReasonException(
                $"this run was made with a different {string.Join(", ", differences)}; resume it with the same settings or choose another run directory",
                path);
    }

    /// <summary>Appends one prediction and flushes it to disk before returning.</summary>
    public void Append(PredictionRecord record)
    {
        if (_finished.Contains((record.ProblemId, record.Sample)))
            throw new QuantReasonException($"prediction ({record.ProblemId}, {record.Sample}) already written", Path);
        var line = JsonSerializer.SerializeToUtf8Bytes(record, RunJson.Line);
        _predictions.Write(line);
        _predictions.WriteByte((byte)'\n');
        _predictions.Flush(flushToDisk: true);
        Count(record);
    }

    public void Update(Func<RunManifest, RunManifest> change)
    {
        Manifest = change(Manifest);
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

    public void Dispose() => _predictions.Dispose();

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

    /// <summary>Reads predictions.jsonl; malformed lines become warnings naming file and line (or fail when strict).</summary>
    public static List<PredictionRecord> ReadPredictions(string path, List<string>? warnings = null, bool strict = false)
    {
        var read = JsonlReader.Read(path, strict);
        warnings?.AddRange(read.Warnings);
        var records = new List<PredictionRecord>(read.Lines.Count);
        foreach (var line in read.Lines)
        {
            try { records.Add(line.Value.Deserialize<PredictionRecord>(RunJson.Line)!); }
            catch (JsonException e)
            {
                var message = $"not a prediction record ({e.Message.Split(" Path:")[0]})";
                if (strict) throw new QuantReasonException(message, $"{path}:{line.Line}");
                warnings?.Add($"{path}:{line.Line}: {message}; line skipped");
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
