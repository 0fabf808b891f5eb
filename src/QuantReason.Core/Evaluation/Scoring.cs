using QuantReason.Evaluation.Equivalence;
using QuantReason.Evaluation.Runs;

namespace QuantReason.Evaluation;

/// <summary>Accuracy of one group of problems with its Wilson 95% interval.</summary>
public sealed record AccuracyCell(string Group, int N, int Correct, double Accuracy, double Low, double High);

/// <summary>pass@k and maj@k over the problems that have at least k samples.</summary>
public sealed record SampledScore(int K, int Problems, double PassAtK, double MajAtK);

public sealed record ScoreReport(
    AccuracyCell Overall,
    IReadOnlyList<AccuracyCell> ByLevel,
    IReadOnlyList<AccuracyCell> BySubject,
    IReadOnlyList<SampledScore> Sampled);

/// <summary>
/// Scores a run: accuracy of sample 0 (the greedy sample) overall, by level and by subject with Wilson 95% intervals;
/// with k samples per problem, the unbiased pass@k of Chen et al. (2021) and maj@k, where the majority is taken over
/// answers grouped by <see cref="Grader"/> equivalence, not by string (so 1/2, 0.5 and \frac12 are one vote bloc).
/// </summary>
public static class Scoring
{
    const double Z95 = 1.959963984540054;

    public static (double Low, double High) Wilson(int correct, int n, double z = Z95)
    {
        if (n == 0) return (0, 1);
        var p = (double)correct / n;
        var z2 = z * z;
        var centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        var half = z / (1 + z2 / n) * Math.Sqrt(p * (1 - p) / n + z2 / (4.0 * n * n));
        return (Math.Max(0, centre - half), Math.Min(1, centre + half));
    }

    /// <summary>Probability that at least one of k samples drawn without replacement from n (c correct) is correct.</summary>
    public static double PassAtK(int n, int c, int k)
    {
        if (k < 1 || k > n) throw new ArgumentOutOfRangeException(nameof(k), $"need 1 ≤ k ≤ n, got k={k}, n={n}");
        if (n - c < k) return 1.0;
        // 1 − C(n−c, k)/C(n, k) as a running product, stable for large n.
        var allWrong = 1.0;
        for (var i = n - c + 1; i <= n; i++) allWrong *= 1.0 - (double)k / i;
        return 1.0 - allWrong;
    }

    /// <summary>maj@k for one problem: the largest equivalence class of the first k extracted answers (ties: the
    /// earliest class) is graded against gold. Samples with no extracted answer cast no vote.</summary>
    public static bool MajorityCorrect(string gold, IEnumerable<string?> answers)
    {
        var classes = new List<(string Representative, int Votes)>();
        foreach (var a in answers)
        {
            if (string.IsNullOrWhiteSpace(a)) continue;
            var i = classes.FindIndex(c => Grader.Equivalent(c.Representative, a).Equivalent);
            if (i < 0) classes.Add((a, 1));
            else classes[i] = (classes[i].Representative, classes[i].Votes + 1);
        }
        if (classes.Count == 0) return false;
        var best = classes[0];
        foreach (var c in classes) if (c.Votes > best.Votes) best = c;
        return AnswerGrading.GradeExtracted(gold, new Extraction(best.Representative, null)).Correct;
    }

    public static AccuracyCell Accuracy(string group, IReadOnlyCollection<PredictionRecord> rows)
    {
        var correct = rows.Count(r => r.Correct);
        var (low, high) = Wilson(correct, rows.Count);
        return new AccuracyCell(group, rows.Count, correct, rows.Count == 0 ? 0 : (double)correct / rows.Count, low, high);
    }

    public static ScoreReport Score(IEnumerable<PredictionRecord> predictions, IReadOnlyList<int>? ks = null)
    {
        var byProblem = predictions.GroupBy(p => p.ProblemId)
            .Select(g => g.OrderBy(p => p.Sample).ToList()).ToList();
        var first = byProblem.Select(s => s[0]).Where(p => p.Sample == 0).ToList();
        var byLevel = first.GroupBy(p => p.Level).OrderBy(g => g.Key ?? int.MaxValue)
            .Select(g => Accuracy(g.Key is { } l ? $"Level {l}" : "no level", g.ToList())).ToList();
        var bySubject = first.GroupBy(p => p.Subject ?? "").OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => Accuracy(g.Key.Length == 0 ? "no subject" : g.Key, g.ToList())).ToList();
        var maxSamples = byProblem.Count == 0 ? 0 : byProblem.Max(s => s.Count);
        ks ??= new[] { 1, 2, 4, 8, 16, 32, 64 }.Where(k => k <= maxSamples && maxSamples > 1).ToList();
        var sampled = new List<SampledScore>();
        foreach (var k in ks)
        {
            var eligible = byProblem.Where(s => s.Count >= k).ToList();
            if (eligible.Count == 0) continue;
            var pass = eligible.Average(s => PassAtK(s.Count, s.Count(p => p.Correct), k));
            var maj = eligible.Average(s => MajorityCorrect(s[0].Gold, s.Take(k).Select(p => p.Extracted)) ? 1.0 : 0.0);
            sampled.Add(new SampledScore(k, eligible.Count, pass, maj));
        }
        return new ScoreReport(Accuracy("all", first), byLevel, bySubject, sampled);
    }
}
