using System.Text.Json;
using QuantReason.Evaluation.Equivalence;
using QuantReason.Evaluation.Runs;
using QuantReason.Data;
using QuantReason.Data.Datasets;

namespace QuantReason.Evaluation.Imports;

public enum ImportFormat { LmEval, OpenCompass }

/// <summary>
/// Predictions made by another tool, to be graded by our extractor and grader into a run directory. With
/// <see cref="Dataset"/> the problems (ids, gold, level, subject) come from that dataset by the tool's example index,
/// so the run pairs with our own runs on it; without, from the record lm-eval logged, else from the tool's gold field.
/// </summary>
public sealed record ImportJob
{
    public required ImportFormat Format { get; init; }
    public required string File { get; init; }
    public required string Out { get; init; }
    public string? ModelName { get; init; }
    public string? Dataset { get; init; }
    public string? DataDir { get; init; }
    /// <summary>lm-eval filter to read (default: the first in the file).</summary>
    public string? Filter { get; init; }
    public bool Strict { get; init; }

    public static ImportFormat ParseFormat(string s) => s.ToLowerInvariant() switch
    {
        "lm-eval" or "lm_eval" or "lmeval" or "lm-evaluation-harness" => ImportFormat.LmEval,
        "opencompass" => ImportFormat.OpenCompass,
        _ => throw new QuantReasonException($"unknown import format '{s}' (lm-eval, opencompass)", "--format"),
    };
}

public static class PredictionImport
{
    /// <summary>Reads, grades and writes the run directory; returns its manifest. Problems already in the run are kept.</summary>
    public static RunManifest Import(ImportJob job, List<string> warnings)
    {
        var file = Path.GetFullPath(job.File);
        var samples = job.Format == ImportFormat.LmEval
            ? LmEvalSamples.Read(file, job.Filter, warnings, job.Strict)
            : OpenCompassPredictions.Read(file, warnings, job.Strict);
        if (samples.Count == 0) throw new QuantReasonException("no predictions found", file);

        Dataset? dataset = null;
        string? datasetPath = null;
        if (job.Dataset is not null)
        {
            datasetPath = DatasetCatalog.Resolve(job.Dataset, DataDirectory.Resolve(job.DataDir));
            dataset = DatasetLoader.Load(datasetPath, strict: job.Strict);
            warnings.AddRange(dataset.Warnings);
        }
        var graded = samples.Select(s => Grade(s, Problem(s, dataset, datasetPath))).ToList();

        var tool = job.Format == ImportFormat.LmEval ? "lm-eval" : "opencompass";
        var task = job.Format == ImportFormat.LmEval ? LmEvalSamples.TaskName(file) : OpenCompassPredictions.DatasetName(file);
        var problems = graded.Select(p => p.ProblemId).Distinct().Count();
        var manifest = new RunManifest
        {
            RunId = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(job.Out))),
            // Both tools name the folder of a model's files after the model (lm-eval's sanitized name, OpenCompass's abbr).
            Model = new ModelInfo(job.ModelName ?? Path.GetFileName(Path.GetDirectoryName(file)) ?? "imported", null, null, null, null),
            Dataset = dataset is not null
                ? RunIdentity.Dataset(job.Dataset!, datasetPath!, dataset.Problems.Count, job.Out)
                : new DatasetInfo(task, RunIdentity.Portable(file, job.Out), DatasetFetcher.DigestAsync(file).GetAwaiter().GetResult(), problems),
            Prompt = new PromptInfo($"{tool}:{task}", null),
            Generation = Generation(job, file, graded.Max(p => p.Sample) + 1),
            Backend = new BackendInfo(tool, file, 0, 0),
        };
        using var run = RunDirectory.OpenOrCreate(job.Out, manifest);
        warnings.AddRange(run.Warnings);
        foreach (var p in graded)
            if (!run.IsFinished(p.ProblemId, p.Sample)) run.Append(p);
        run.Update(m => m with
        {
            Status = RunStatus.Complete,
            Counts = new RunCounts(dataset?.Problems.Count ?? problems, run.FinishedCount, run.CorrectCount, run.ErrorCount),
        });
        return run.Manifest;
    }

    static PredictionRecord Grade(ImportedSample s, Problem problem)
    {
        var graded = AnswerGrading.Grade(problem.Gold, s.Output);
        var (extraction, verdict) = (graded.Predicted, graded.Verdict);
        return new PredictionRecord
        {
            ProblemId = problem.Id, Sample = s.Sample, Subject = problem.Subject, Level = problem.Level,
            Prompt = s.Prompt, Output = s.Output,
            // Neither tool logs why generation stopped; truncation cannot be told apart afterwards.
            FinishReason = FinishReason.Stop,
            Extracted = extraction.Answer, Rule = extraction.Rule, Gold = problem.Gold,
            Correct = verdict.Equivalent, DecidedBy = verdict.DecidedBy,
        };
    }

    /// <summary>The problem an imported sample answers: from the dataset by index, else the logged record, else the tool's gold.</summary>
    static Problem Problem(ImportedSample s, Dataset? dataset, string? datasetPath)
    {
        if (dataset is not null)
            return s.Index >= 0 && s.Index < dataset.Problems.Count ? dataset.Problems[s.Index]
                : throw new QuantReasonException($"example index {s.Index} is outside the dataset's {dataset.Problems.Count} problems ({datasetPath})", s.Where);
        if (s.Doc is { } doc)
        {
            DatasetFormat? format = null;
            try { format = DatasetLoader.Detect(new JsonlLine(0, doc), s.Where); }
            catch (QuantReasonException) { }
            if (format is { } f) return DatasetLoader.ToProblem(doc, f, s.Where, s.Index);
        }
        var gold = GoldFrom(s.Gold)
            ?? throw new QuantReasonException("no gold answer: the logged record is in no known schema and the gold field is empty; give --dataset", s.Where);
        return new Problem(LmEvalSamples.Id(s.Index), "", gold, Text(s.Doc, "type") ?? Text(s.Doc, "subject"), null, null);
    }

    /// <summary>A tool's gold field as an answer: the part after GSM8K's "####", a solution's last \boxed{}, else the text.</summary>
    static string? GoldFrom(string? gold)
    {
        if (string.IsNullOrWhiteSpace(gold)) return null;
        var hash = gold.LastIndexOf("####", StringComparison.Ordinal);
        if (hash >= 0) return gold[(hash + 4)..].Trim();
        return AnswerExtractor.LastBoxed(gold) ?? gold.Trim();
    }

    static string? Text(JsonElement? doc, string name) =>
        doc is { } d && d.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    static GenerationInfo Generation(ImportJob job, string file, int samples)
    {
        int maxTokens = 0;
        double temperature = 0, topP = 1;
        if (job.Format == ImportFormat.LmEval && LmEvalSamples.GenerationKwargs(file) is { } k)
        {
            if (k.TryGetProperty("max_gen_toks", out var m) && m.TryGetInt32(out var mi)) maxTokens = mi;
            if (k.TryGetProperty("temperature", out var t) && t.ValueKind == JsonValueKind.Number) temperature = t.GetDouble();
            if (k.TryGetProperty("top_p", out var p) && p.ValueKind == JsonValueKind.Number) topP = p.GetDouble();
        }
        return new GenerationInfo(maxTokens, temperature, topP, 0, 0, samples);
    }
}
