using QuantReason.Evaluation;
namespace QuantReason.Data.Datasets;

/// <summary>One public file: where it lives under the data directory, where it is downloaded from, and its pinned digest.</summary>
public sealed record DatasetFile(string RelativePath, Uri Url, string Sha256, long Size);

/// <summary>A named dataset of <c>quantreason data fetch</c>; <see cref="Main"/> is the file an evaluation reads.</summary>
public sealed record CatalogEntry(string Name, string Description, IReadOnlyList<DatasetFile> Files)
{
    public DatasetFile Main => Files[0];
}

/// <summary>
/// The public datasets the toolkit knows by name. Digests are SHA-256 of the public files as distributed (the same bytes
/// as the reference copies in ../shared/data); a download whose digest differs is rejected rather than silently used.
/// </summary>
public static class DatasetCatalog
{
    const string Gsm8kBase = "https://raw.githubusercontent.com/openai/grade-school-math/master/grade_school_math/data/";

    public static readonly IReadOnlyList<CatalogEntry> Entries =
    [
        new("math500", "MATH-500 (PRM800K test split of MATH), 500 problems",
        [
            new("math500/test.jsonl", new("https://huggingface.co/datasets/HuggingFaceH4/MATH-500/resolve/main/test.jsonl"),
                "35dc41080a3680858b27fa7e0533d2d547825316fc5dafe5d316f4ccc5a06132", 446_564),
        ]),
        new("math", "MATH full test set, 5000 problems",
        [
            new("math/test.jsonl", new("https://raw.githubusercontent.com/QwenLM/Qwen2.5-Math/main/evaluation/data/math/test.jsonl"),
                "3371949f33dd702d04b43fddd7d53a028de0aaca0e76abb1b875a050297b3aa4", 4_101_364),
        ]),
        new("gsm8k", "GSM8K test (1319) and train (7473), with the authors' example model solutions",
        [
            new("gsm8k/test.jsonl", new(Gsm8kBase + "test.jsonl"),
                "3730d312f6e3440559ace48831e51066acaca737f6eabec99bccb9e4b3c39d14", 749_738),
            new("gsm8k/train.jsonl", new(Gsm8kBase + "train.jsonl"),
                "17f347dc51477c50d4efb83959dbb7c56297aba886e5544ee2aaed3024813465", 4_166_206),
            new("gsm8k/example_model_solutions.jsonl", new(Gsm8kBase + "example_model_solutions.jsonl"),
                "4bc62db838f8418365d51c627bd66294cbdca9fb7f01519cb13f0dce8c51580b", 2_563_513),
        ]),
        new("processbench", "ProcessBench first-error labels (GSM8K 400, MATH 1000)",
        [
            new("processbench/gsm8k.json", new("https://huggingface.co/datasets/Qwen/ProcessBench/resolve/main/gsm8k.json"),
                "fb1c59dfd1e83e1c5a48dbe598db27e4bc0b8bc524a09445f2d4b69178f61349", 574_343),
            new("processbench/math.json", new("https://huggingface.co/datasets/Qwen/ProcessBench/resolve/main/math.json"),
                "520ae64463d6ceb4bf13af31693389a5d5b14934cdad3468193dea4a5ceb0414", 1_938_778),
        ]),
    ];

    public static CatalogEntry Get(string name) =>
        Entries.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new QuantReasonException($"unknown dataset '{name}'; known: {string.Join(", ", Entries.Select(e => e.Name))}");

    /// <summary>
    /// The file for a dataset argument: a known name resolves to its main file under the data directory (which must
    /// have been fetched), anything else is taken as a path to a JSONL file.
    /// </summary>
    public static string Resolve(string nameOrPath, string dataDirectory)
    {
        var entry = Entries.FirstOrDefault(e => string.Equals(e.Name, nameOrPath, StringComparison.OrdinalIgnoreCase));
        if (entry is null)
            return File.Exists(nameOrPath) ? Path.GetFullPath(nameOrPath)
                : throw new QuantReasonException(
                    $"dataset file not found (known names: {string.Join(", ", Entries.Select(e => e.Name))})", nameOrPath);
        var path = Path.Combine(dataDirectory, entry.Main.RelativePath);
        return File.Exists(path) ? path
            : throw new QuantReasonException($"dataset '{entry.Name}' is not downloaded; run `quantreason data fetch {entry.Name}`", path);
    }
}
