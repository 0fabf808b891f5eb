using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using QuantReason.Data.Datasets;
using QuantReason.Data.StepMath;
using QuantReason.Evaluation.Runs;
using QuantReason.Judging;

namespace QuantReason.Jobs;

/// <summary>What <see cref="PairBuilder"/> draws: at most <c>N</c> pairs, the seed of the draw, and the error-type subset
/// (<c>all</c>, a category — conceptual, method, execution, reasoning — or a v2 type id / format_error).</summary>
public sealed record PairOptions(int N = 545, int Seed = 0, string Subset = PairOptions.All)
{
    public const string All = "all";

    public void Validate(Taxonomy taxonomy)
    {
        if (N < 1) throw new QuantReasonException($"the pair cap must be at least 1, got {N}", "--n");
        if (Subset != All && !taxonomy.Categories.Any(c => c.Id == Subset) && !TaxonomyTypes.Allowed(taxonomy).Contains(Subset))
            throw new QuantReasonException($"unknown subset '{Subset}' (expected all, a category: {string.Join(", ", taxonomy.Categories.Select(c => c.Id))}, " +
                                           "or an error type id)", "--subset");
    }
}

/// <summary>The first-error label of a pair's rejected output.</summary>
public sealed record PairLabel(
    [property: JsonPropertyName("labeller")] string Labeller,
    [property: JsonPropertyName("error_type")] string? ErrorType,
    [property: JsonPropertyName("category")] string? Category,
    [property: JsonPropertyName("first_error_step")] int FirstErrorStep);

/// <summary>One line of pairs.jsonl: TRL's DPO layout (prompt, chosen, rejected; the prompt is the problem text, which
/// the prompt file renders) plus where the pair came from.</summary>
public sealed record PreferencePair(
    [property: JsonPropertyName("prompt")] string Prompt,
    [property: JsonPropertyName("chosen")] string Chosen,
    [property: JsonPropertyName("rejected")] string Rejected,
    [property: JsonPropertyName("problem_id")] string ProblemId,
    [property: JsonPropertyName("level")] int? Level,
    [property: JsonPropertyName("chosen_run")] string ChosenRun,
    [property: JsonPropertyName("rejected_run")] string RejectedRun,
    [property: JsonPropertyName("label")] PairLabel? Label);

/// <summary>Per quantized run: its failures where FP was right, its error rate, the quota it was given and what it kept.</summary>
public sealed record PairSourceSummary(
    [property: JsonPropertyName("run")] string Run,
    [property: JsonPropertyName("problems")] int Problems,
    [property: JsonPropertyName("error_rate")] double ErrorRate,
    [property: JsonPropertyName("candidates")] int Candidates,
    [property: JsonPropertyName("quota")] int Quota,
    [property: JsonPropertyName("kept")] int Kept);

/// <summary>pairs-summary.json: what was kept and what was dropped, and why.</summary>
public sealed record PairSummary(
    [property: JsonPropertyName("fp_run")] string FpRun,
    [property: JsonPropertyName("dataset")] string Dataset,
    [property: JsonPropertyName("dataset_digest")] string? DatasetDigest,
    [property: JsonPropertyName("subset")] string Subset,
    [property: JsonPropertyName("cap")] int Cap,
    [property: JsonPropertyName("seed")] int Seed,
    [property: JsonPropertyName("kept")] int Kept,
    [property: JsonPropertyName("sources")] IReadOnlyList<PairSourceSummary> Sources,
    [property: JsonPropertyName("dropped")] IReadOnlyDictionary<string, int> Dropped,
    [property: JsonPropertyName("kept_by_category")] IReadOnlyDictionary<string, int> KeptByCategory,
    [property: JsonPropertyName("pairs_sha256")] string PairsSha256);

/// <summary>
/// Preference pairs from evaluations, as the study builds them: every problem the full-precision run solved and a
/// quantized run failed gives (FP answer = chosen, quantized answer = rejected), labelled with the rejected output's first
/// error; pairs of one problem whose rejected texts are near-identical are one pair; the error-type subset is kept; then
/// at most N are drawn across configurations in proportion to their error rates (largest remainder, a configuration's
/// unused quota going to the others), seeded. Runs over different datasets, and any run over the split being evaluated
/// or a StepMath test or validation split, are refused: pairs must never leak the evaluation.
/// </summary>
public static class PairBuilder
{
    public const string PairsFile = "pairs.jsonl";
    public const string SummaryFile = "pairs-summary.json";

    static readonly JsonSerializerOptions Line = new() { WriteIndented = false };
    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Reads the runs, builds the pairs, writes pairs.jsonl and pairs-summary.json into <paramref name="outDir"/>.</summary>
    public static PairSummary Build(string fpRun, IReadOnlyList<string> quantizedRuns, string? evaluatedDataset, PairOptions options, string outDir)
    {
        var taxonomy = Taxonomy.Default;
        options.Validate(taxonomy);
        if (quantizedRuns.Count == 0) throw new QuantReasonException("give at least one quantized run to draw rejected answers from", "--quantized");
        var fp = ReadRun(fpRun);
        if (fp.Manifest.Quantization is not null)
            throw new QuantReasonException($"the chosen answers must come from a full-precision run; this one is {fp.Manifest.Quantization.Method} {fp.Manifest.Quantization.Bits}-bit", fpRun);
        var quantized = quantizedRuns.Select(ReadRun).ToList();
        CheckSameDataset(fp, quantized);
        CheckNoLeak(fp, evaluatedDataset);

        var problems = ProblemTexts(fp);
        var (candidates, dropped) = Candidates(fp, quantized, problems, options.Subset, taxonomy);
        if (candidates.Count == 0)
            throw new QuantReasonException($"subset '{options.Subset}' holds no pair: {Describe(dropped)} among the {quantized.Count} quantized run(s)", fpRun);

        var quotas = Quotas(quantized.Select(q => (q.ErrorRate, candidates.Count(c => c.RejectedRun == q.Name))).ToList(), options.N);
        var rng = new Random(options.Seed);
        var kept = new List<PreferencePair>();
        for (int i = 0; i < quantized.Count; i++)
        {
            var own = candidates.Where(c => c.RejectedRun == quantized[i].Name).ToList();
            // the clearest errors first (labeller confidence), seeded order among equals
            var keys = own.Select(_ => rng.Next()).ToArray();
            kept.AddRange(own.Select((c, j) => (c, j)).OrderByDescending(x => Confidence(x.c)).ThenBy(x => keys[x.j]).Take(quotas[i]).Select(x => x.c.Pair));
            if (own.Count > quotas[i]) dropped["over_cap"] = dropped.GetValueOrDefault("over_cap") + own.Count - quotas[i];
        }
        // one stable order for the file: by problem, then source run
        kept = kept.OrderBy(p => p.ProblemId, StringComparer.Ordinal).ThenBy(p => p.RejectedRun, StringComparer.Ordinal).ToList();

        Directory.CreateDirectory(outDir);
        var path = Path.Combine(outDir, PairsFile);
        using (var w = new StreamWriter(path + ".partial"))
            foreach (var p in kept) w.WriteLine(JsonSerializer.Serialize(p, Line));
        File.Move(path + ".partial", path, overwrite: true);
        var summary = new PairSummary(fp.Name, fp.Manifest.Dataset.Name, fp.Manifest.Dataset.Digest, options.Subset, options.N, options.Seed, kept.Count,
            quantized.Select((q, i) => new PairSourceSummary(q.Name, q.Predictions.Count, Math.Round(q.ErrorRate, 6),
                candidates.Count(c => c.RejectedRun == q.Name), quotas[i], kept.Count(p => p.RejectedRun == q.Name))).ToList(),
            dropped, kept.GroupBy(p => p.Label?.Category ?? p.Label?.ErrorType ?? "unlabelled").OrderBy(g => g.Key, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Count()),
            Sha256(path));
        File.WriteAllText(Path.Combine(outDir, SummaryFile), JsonSerializer.Serialize(summary, Indented) + "\n");
        return summary;
    }

    public static string Sha256(string path)
    {
        using var f = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(f));
    }

    public static PairSummary ReadSummary(string dir) =>
        JsonSerializer.Deserialize<PairSummary>(File.ReadAllText(Path.Combine(dir, SummaryFile)))
        ?? throw new QuantReasonException("empty pair summary", Path.Combine(dir, SummaryFile));

    /// <summary>
    /// Largest-remainder split of <paramref name="n"/> in proportion to the error rates, each run capped at its candidates;
    /// what a capped run cannot use goes to the others in the same proportion.
    /// </summary>
    public static int[] Quotas(IReadOnlyList<(double ErrorRate, int Available)> runs, int n)
    {
        var quota = new int[runs.Count];
        var open = Enumerable.Range(0, runs.Count).Where(i => runs[i].Available > 0).ToList();
        int left = Math.Min(n, runs.Sum(r => r.Available));
        double Rate(int i) => Math.Max(runs[i].ErrorRate, 1e-12);
        // runs whose share reaches their candidates take them all; the rest is shared again among the others
        while (open.Count > 0)
        {
            double total = open.Sum(Rate);
            var capped = open.Where(i => left * Rate(i) / total >= runs[i].Available).ToList();
            if (capped.Count == 0) break;
            foreach (var i in capped) { quota[i] = runs[i].Available; left -= runs[i].Available; }
            open = open.Except(capped).ToList();
        }
        if (open.Count == 0) return quota;
        double sum = open.Sum(Rate);
        var share = open.ToDictionary(i => i, i => left * Rate(i) / sum);
        foreach (var i in open) quota[i] = (int)Math.Floor(share[i]);
        int rest = left - open.Sum(i => quota[i]);
        foreach (var i in open.OrderByDescending(i => share[i] - quota[i]).ThenBy(i => i).Take(rest)) quota[i]++;
        return quota;
    }

    sealed record Run(string Path, string Name, RunManifest Manifest, Dictionary<string, PredictionRecord> Predictions,
        Dictionary<string, LabelRecord> Labels)
    {
        public double ErrorRate => Predictions.Count == 0 ? 0 : Predictions.Values.Count(p => !p.Correct) / (double)Predictions.Count;
    }

    sealed record Candidate(PreferencePair Pair, string RejectedRun, double Confidence);

    static double Confidence(Candidate c) => c.Confidence;

    static Run ReadRun(string path)
    {
        if (!Directory.Exists(path)) throw new QuantReasonException("run directory not found", path);
        var manifest = RunDirectory.ReadManifest(path);
        // greedy sample 0: what the configuration answers
        var predictions = RunDirectory.ReadRunPredictions(path, strict: true).Where(p => p.Sample == 0)
            .GroupBy(p => p.ProblemId).ToDictionary(g => g.Key, g => g.Last());
        if (predictions.Count == 0) throw new QuantReasonException("the run holds no predictions", path);
        var labels = File.Exists(Path.Combine(path, RunDirectory.LabelsFile))
            ? RunDirectory.ReadLabels(path, strict: true).Where(l => l.Sample == 0)
                .GroupBy(l => l.ProblemId).ToDictionary(g => g.Key, g => g.FirstOrDefault(l => l.Labeller == "verifier") ?? g.First())
            : [];
        return new Run(path, System.IO.Path.GetFileName(System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(path))), manifest, predictions, labels);
    }

    static void CheckSameDataset(Run fp, IReadOnlyList<Run> quantized)
    {
        foreach (var q in quantized)
        {
            var (a, b) = (fp.Manifest.Dataset, q.Manifest.Dataset);
            if (a.Digest != b.Digest || a.Name != b.Name || a.Size != b.Size)
                throw new QuantReasonException($"runs over different datasets or splits: {fp.Name} evaluated {a.Name} ({a.Size} problems, {Short(a.Digest)}), " +
                                               $"{q.Name} evaluated {b.Name} ({b.Size} problems, {Short(b.Digest)})", q.Path);
        }
    }

    static string Short(string? digest) => digest is null ? "no digest" : digest[..Math.Min(12, digest.Length)];

    /// <summary>Refuses pairs over the dataset being evaluated (same digest or any shared problem) or over StepMath's
    /// held-out splits.</summary>
    static void CheckNoLeak(Run fp, string? evaluatedDataset)
    {
        foreach (var id in fp.Predictions.Keys)
            if (StepMathItem.TryParseId(id, out var split, out _, out _) && split != StepMathSplit.Train)
                throw new QuantReasonException($"test-split leak: problem '{id}' is from the StepMath {split.Name()} split; pairs must come from the train split", fp.Path);
        if (evaluatedDataset is null) return;
        if (!File.Exists(evaluatedDataset)) throw new QuantReasonException("evaluated dataset not found", evaluatedDataset);
        if (fp.Manifest.Dataset.Digest == Sha256(evaluatedDataset))
            throw new QuantReasonException($"the runs evaluated the split being evaluated ({Path.GetFileName(evaluatedDataset)}): pairs from it would leak the test", fp.Path);
        var shared = DatasetLoader.Load(evaluatedDataset, strict: false).Problems.Select(p => p.Id).Where(fp.Predictions.ContainsKey).Take(1).ToList();
        if (shared.Count > 0)
            throw new QuantReasonException($"the runs share problem '{shared[0]}' with the evaluated split {Path.GetFileName(evaluatedDataset)}: pairs from it would leak the test", fp.Path);
    }

    /// <summary>Problem text by id: from the run's dataset file, else the last line of the rendered prompt (StepMath's convention).</summary>
    static Dictionary<string, string> ProblemTexts(Run fp)
    {
        if (fp.Manifest.Dataset.Path is { } rel && Path.GetFullPath(Path.Combine(fp.Path, rel)) is var file && File.Exists(file))
            return DatasetLoader.Load(file, strict: false).Problems.ToDictionary(p => p.Id, p => p.Text);
        return fp.Predictions.Values.ToDictionary(p => p.ProblemId,
            p => p.Prompt.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.Length > 0) is { } last && last.StartsWith("<s>", StringComparison.Ordinal) ? last[3..] : p.Prompt);
    }

    static (List<Candidate>, Dictionary<string, int>) Candidates(Run fp, IReadOnlyList<Run> quantized, Dictionary<string, string> problems,
        string subset, Taxonomy taxonomy)
    {
        var dropped = new Dictionary<string, int>();
        void Drop(string why) => dropped[why] = dropped.GetValueOrDefault(why) + 1;
        var kept = new List<Candidate>();
        var rejectedSoFar = new Dictionary<string, List<string>>();
        foreach (var q in quantized)
            foreach (var (id, rej) in q.Predictions.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                if (rej.Correct) continue;
                if (!fp.Predictions.TryGetValue(id, out var chosen)) { Drop("not_in_fp_run"); continue; }
                if (!chosen.Correct) { Drop("fp_also_wrong"); continue; }
                if (!problems.TryGetValue(id, out var text)) { Drop("problem_text_missing"); continue; }
                var label = q.Labels.GetValueOrDefault(id);
                var (type, _, category) = label is null ? (null, null, null) : TaxonomyTypes.Resolve(label.ErrorType, taxonomy, $"{q.Path}/labels.jsonl ({id})");
                if (subset != PairOptions.All && category != subset && type != subset) { Drop(label is null ? "unlabelled" : "outside_subset"); continue; }
                var seen = rejectedSoFar.TryGetValue(id, out var list) ? list : rejectedSoFar[id] = [];
                if (seen.Any(s => NearIdentical(s, rej.Output))) { Drop("duplicate"); continue; }
                seen.Add(rej.Output);
                kept.Add(new Candidate(new PreferencePair(text, chosen.Output, rej.Output, id, chosen.Level ?? rej.Level, fp.Name, q.Name,
                    label is null ? null : new PairLabel(label.Labeller, type, category, label.FirstErrorStep)), q.Name, label?.Confidence ?? 0));
            }
        return (kept, dropped);
    }

    static string Describe(Dictionary<string, int> dropped) =>
        dropped.Count == 0 ? "no quantized failure where full precision was right"
            : string.Join(", ", dropped.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Value} {kv.Key}")));

    /// <summary>Same text once whitespace is ignored, or within 4% edits (at least two): a wrong digit carried into the
    /// answer is still the same mistake.</summary>
    public static bool NearIdentical(string a, string b)
    {
        var (x, y) = (Squeeze(a), Squeeze(b));
        if (x == y) return true;
        int limit = Math.Max(2, Math.Max(x.Length, y.Length) / 25);
        return Math.Abs(x.Length - y.Length) <= limit && Levenshtein(x, y, limit) <= limit;
    }

    static string Squeeze(string s) => string.Concat(s.Where(c => !char.IsWhiteSpace(c)));

    /// <summary>Edit distance, stopped early once it exceeds <paramref name="limit"/> (returns limit + 1).</summary>
    static int Levenshtein(string a, string b, int limit)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            int best = cur[0];
            for (int j = 1; j <= b.Length; j++)
            {
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
                best = Math.Min(best, cur[j]);
            }
            if (best > limit) return limit + 1;
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}
