using System.Globalization;
using System.Numerics;
using System.Text;
using QuantReason.Evaluation.Equivalence;
using QuantReason.Evaluation.Runs;

namespace QuantReason.Evaluation;

/// <summary>
/// One candidate (e.g. a quantized model) against its full-precision baseline on the same problems. Scores and Δ are in
/// percentage points; Δ = baseline − score is the points lost (positive = worse), Δ% = Δ / baseline × 100, as the
/// studies, the README's table, <c>quantreason study</c> and the paper's tables all report it.
/// <see cref="BaselineOnly"/>/<see cref="CandidateOnly"/> count the discordant problems McNemar's test uses.
/// </summary>
public sealed record PairedComparison(
    string Model, string Method, int? Bits, int Problems,
    double BaselineScore, double Score, double Delta, double DeltaPercent,
    int BaselineOnly, int CandidateOnly, double McNemarP, double DeltaLow, double DeltaHigh);

/// <summary>
/// Paired full-precision vs quantized comparison on sample 0 of each shared problem: McNemar's exact test on the
/// discordant pairs and a seeded percentile bootstrap 95% interval of Δ, exported as Markdown, CSV and LaTeX (booktabs).
/// </summary>
public static class Comparison
{
    public const int DefaultResamples = 10_000;

    /// <summary>Two-sided exact McNemar p-value: 2·P(X ≤ min(b, c)) for X ~ Binomial(b + c, ½), capped at 1, computed exactly.</summary>
    public static double McNemarExact(int b, int c)
    {
        var n = b + c;
        if (n == 0) return 1.0;
        var tail = BigInteger.Zero;
        var term = BigInteger.One; // C(n, 0)
        for (var i = 0; i <= Math.Min(b, c); i++)
        {
            tail += term;
            term = term * (n - i) / (i + 1);
        }
        var p = new Rational(2 * tail, BigInteger.Pow(2, n));
        return Math.Min(1.0, p.ToDouble());
    }

    /// <summary>Percentile bootstrap 95% interval of Δ = mean(baseline) − mean(candidate) (points lost), in percentage points, resampling problems.</summary>
    public static (double Low, double High) BootstrapDelta(IReadOnlyList<bool> baseline, IReadOnlyList<bool> candidate,
        int resamples = DefaultResamples, int seed = 0)
    {
        if (baseline.Count != candidate.Count || baseline.Count == 0)
            throw new ArgumentException("paired samples must be non-empty and of equal length");
        var n = baseline.Count;
        var diff = new int[n]; // per problem: baseline − candidate ∈ {−1, 0, 1}
        for (var i = 0; i < n; i++) diff[i] = (baseline[i] ? 1 : 0) - (candidate[i] ? 1 : 0);
        var rng = new Random(seed);
        var deltas = new double[resamples];
        for (var r = 0; r < resamples; r++)
        {
            var sum = 0;
            for (var i = 0; i < n; i++) sum += diff[rng.Next(n)];
            deltas[r] = 100.0 * sum / n;
        }
        Array.Sort(deltas);
        return (Percentile(deltas, 0.025), Percentile(deltas, 0.975));
    }

    static double Percentile(double[] sorted, double q)
    {
        var pos = q * (sorted.Length - 1);
        var lo = (int)Math.Floor(pos);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    /// <summary>Pairs sample 0 of every problem both runs answered; fails when they share none.</summary>
    public static PairedComparison Compare(string model, string method, int? bits,
        IEnumerable<PredictionRecord> baseline, IEnumerable<PredictionRecord> candidate, int resamples = DefaultResamples, int seed = 0)
    {
        var b = baseline.Where(p => p.Sample == 0).ToDictionary(p => p.ProblemId, p => p.Correct);
        var pairs = candidate.Where(p => p.Sample == 0 && b.ContainsKey(p.ProblemId))
            .OrderBy(p => p.ProblemId, StringComparer.Ordinal).Select(p => (Base: b[p.ProblemId], Cand: p.Correct)).ToList();
        if (pairs.Count == 0) throw new QuantReasonException("the two runs share no problems", $"{model} {method}");
        var baseScore = 100.0 * pairs.Count(p => p.Base) / pairs.Count;
        var score = 100.0 * pairs.Count(p => p.Cand) / pairs.Count;
        var baseOnly = pairs.Count(p => p.Base && !p.Cand);
        var candOnly = pairs.Count(p => !p.Base && p.Cand);
        var (low, high) = BootstrapDelta(pairs.Select(p => p.Base).ToList(), pairs.Select(p => p.Cand).ToList(), resamples, seed);
        var delta = baseScore - score;
        return new PairedComparison(model, method, bits, pairs.Count, baseScore, score, delta,
            baseScore == 0 ? double.NaN : 100.0 * delta / baseScore, baseOnly, candOnly, McNemarExact(baseOnly, candOnly), low, high);
    }

    /// <summary>Compares each candidate run directory with the baseline run directory, naming rows from the manifests.</summary>
    public static IReadOnlyList<PairedComparison> CompareRuns(string baselineRun, IEnumerable<string> candidateRuns,
        int resamples = DefaultResamples, int seed = 0)
    {
        var baseline = RunDirectory.ReadRunPredictions(baselineRun);
        var baseManifest = RunDirectory.ReadManifest(baselineRun);
        return candidateRuns.Select(run =>
        {
            var m = RunDirectory.ReadManifest(run);
            // Pairing is by problem id; ids of different datasets coincide (GSM8K and StepMath both count lines) without
            // meaning the same problem, so such a pairing would be silently wrong.
            if (m.Dataset.Name != baseManifest.Dataset.Name || m.Dataset.Digest is { } d && baseManifest.Dataset.Digest is { } bd && d != bd)
                throw new QuantReasonException(
                    $"evaluated on dataset '{m.Dataset.Name}' ({Short(m.Dataset.Digest)}) but the baseline {baselineRun} on " +
                    $"'{baseManifest.Dataset.Name}' ({Short(baseManifest.Dataset.Digest)}); compare runs of one dataset", run);
            var method = m.Quantization?.Method ?? m.Training?.Method ?? "full precision";
            if (m.Training is { } t && m.Quantization is not null) method = $"{m.Quantization.Method}+{t.Method}";
            var predictions = RunDirectory.ReadRunPredictions(run);
            return Compare(m.Model.Name, method, m.Quantization?.Bits, baseline, predictions, resamples, seed);
        }).ToList();
    }

    static string Short(string? digest) => digest is null ? "no digest" : digest.Length > 12 ? digest[..12] : digest;

    static readonly string[] Header = ["Model", "Method", "Bits", "N", "Baseline", "Score", "Δ (points lost)", "Δ% (lost)", "McNemar p", "95% CI of Δ"];

    static string[] Cells(PairedComparison r) =>
    [
        r.Model, r.Method, r.Bits?.ToString(CultureInfo.InvariantCulture) ?? "–", r.Problems.ToString(CultureInfo.InvariantCulture),
        F(r.BaselineScore), F(r.Score), Points(r.Delta), double.IsNaN(r.DeltaPercent) ? "–" : Points(r.DeltaPercent),
        r.McNemarP < 1e-4 ? r.McNemarP.ToString("0.0E+0", CultureInfo.InvariantCulture) : r.McNemarP.ToString("0.0000", CultureInfo.InvariantCulture),
        $"[{Points(r.DeltaLow)}, {Points(r.DeltaHigh)}]",
    ];

    static string F(double x) => x.ToString("0.00", CultureInfo.InvariantCulture);
    // as the study's table: a loss is a plain number, a gain carries the minus sign
    static string Points(double x) => (x < 0 ? "−" : "") + Math.Abs(x).ToString("0.00", CultureInfo.InvariantCulture);

    public static string ToMarkdown(IReadOnlyList<PairedComparison> rows)
    {
        var sb = new StringBuilder();
        sb.Append("| ").AppendJoin(" | ", Header).Append(" |\n");
        sb.Append("|---|---|--:|--:|--:|--:|--:|--:|--:|---|\n");
        foreach (var r in rows) sb.Append("| ").AppendJoin(" | ", Cells(r).Select(c => c.Replace("|", "\\|"))).Append(" |\n");
        return sb.ToString();
    }

    /// <summary>RFC 4180 CSV with plain ASCII numbers (no typographic minus) so spreadsheets read them as numbers.</summary>
    public static string ToCsv(IReadOnlyList<PairedComparison> rows)
    {
        var sb = new StringBuilder("model,method,bits,n,baseline,score,points_lost,percent_lost,baseline_only,candidate_only,mcnemar_p,points_lost_low,points_lost_high\n");
        foreach (var r in rows)
        {
            string[] cells =
            [
                Csv(r.Model), Csv(r.Method), r.Bits?.ToString(CultureInfo.InvariantCulture) ?? "", I(r.Problems),
                D(r.BaselineScore), D(r.Score), D(r.Delta), double.IsNaN(r.DeltaPercent) ? "" : D(r.DeltaPercent),
                I(r.BaselineOnly), I(r.CandidateOnly), r.McNemarP.ToString("R", CultureInfo.InvariantCulture), D(r.DeltaLow), D(r.DeltaHigh),
            ];
            sb.AppendJoin(',', cells).Append('\n');
        }
        return sb.ToString();

        static string I(int x) => x.ToString(CultureInfo.InvariantCulture);
        static string D(double x) => x.ToString("0.####", CultureInfo.InvariantCulture);
        static string Csv(string s) => s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{s.Replace("\"", "\"\"")}\"" : s;
    }

    public static string ToLatex(IReadOnlyList<PairedComparison> rows)
    {
        var sb = new StringBuilder();
        sb.Append("\\begin{tabular}{llrrrrrrrl}\n\\toprule\n");
        sb.Append("Model & Method & Bits & $N$ & Baseline & Score & $\\Delta$ (points lost) & $\\Delta\\%$ (lost) & McNemar $p$ & 95\\% CI of $\\Delta$ \\\\\n\\midrule\n");
        foreach (var r in rows)
            sb.AppendJoin(" & ", Cells(r).Select((c, i) => i < 2 ? Escape(c) : c.Replace("−", "$-$").Replace("–", "--"))).Append(" \\\\\n");
        sb.Append("\\bottomrule\n\\end{tabular}\n");
        return sb.ToString();
    }

    static string Escape(string s)
    {
        var sb = new StringBuilder();
        foreach (var ch in s)
            sb.Append(ch switch
            {
                '\\' => "\\textbackslash{}", '&' => "\\&", '%' => "\\%", '$' => "\\$", '#' => "\\#", '_' => "\\_",
                '{' => "\\{", '}' => "\\}", '~' => "\\textasciitilde{}", '^' => "\\textasciicircum{}", _ => ch.ToString(),
            });
        return sb.ToString();
    }
}
