using QuantReason.Evaluation.Runs;
namespace QuantReason.Judging;

/// <summary>One judge's agreement on the first error step: with the panel's label and with the human verdicts.</summary>
public sealed record JudgeAccuracy(string Judge, int VsPanelN, int VsPanelHits, int VsHumanN, int VsHumanHits)
{
    public double VsPanel => VsPanelN == 0 ? double.NaN : (double)VsPanelHits / VsPanelN;
    public double VsHuman => VsHumanN == 0 ? double.NaN : (double)VsHumanHits / VsHumanN;
}

/// <summary>Agreement statistics of a judging run, all on the first error step (−1 for none) as the category.</summary>
public sealed record AgreementReport(double FleissKappa, int FleissSubjects, double CohenKappa, int CohenN, double PanelVsHuman, IReadOnlyList<JudgeAccuracy> Judges);

/// <summary>Fleiss' κ (many raters), Cohen's κ (two raters), and each judge's accuracy against the panel and against humans.</summary>
public static class Agreement
{
    /// <summary>
    /// Fleiss' κ over subjects rated by the same number of raters: <paramref name="counts"/>[i][j] raters put subject i in
    /// category j. κ = (P̄ − P̄e)/(1 − P̄e), P̄ the mean per-subject agreement, P̄e = Σ p_j² of the category shares.
    /// </summary>
    public static double Fleiss(IReadOnlyList<IReadOnlyList<int>> counts)
    {
        if (counts.Count == 0) return double.NaN;
        int n = counts[0].Sum(), k = counts[0].Count;
        if (n < 2 || counts.Any(r => r.Count != k || r.Sum() != n)) throw new ArgumentException("every subject needs the same number (≥ 2) of ratings");
        double N = counts.Count;
        var p = Enumerable.Range(0, k).Select(j => counts.Sum(r => r[j]) / (N * n)).ToArray();
        var pBar = counts.Average(r => (r.Sum(x => (double)x * x) - n) / (n * (n - 1.0)));
        var pe = p.Sum(x => x * x);
        return pe >= 1 ? 1 : (pBar - pe) / (1 - pe);
    }

    /// <summary>Cohen's κ of two raters over paired categories: (p_o − p_e)/(1 − p_e).</summary>
    public static double Cohen<T>(IReadOnlyList<(T A, T B)> pairs) where T : notnull
    {
        if (pairs.Count == 0) return double.NaN;
        double n = pairs.Count;
        var po = pairs.Count(p => EqualityComparer<T>.Default.Equals(p.A, p.B)) / n;
        var a = pairs.GroupBy(p => p.A).ToDictionary(g => g.Key, g => g.Count() / n);
        var b = pairs.GroupBy(p => p.B).ToDictionary(g => g.Key, g => g.Count() / n);
        var pe = a.Sum(kv => kv.Value * b.GetValueOrDefault(kv.Key));
        return pe >= 1 ? 1 : (po - pe) / (1 - pe);
    }

    /// <summary>The statistics of a labels file holding the judges', the panel's and the human labels.</summary>
    public static AgreementReport Of(IEnumerable<LabelRecord> labels, string panel, IReadOnlyList<string> judges)
    {
        var byCase = labels.GroupBy(l => l.Key).Select(g => g.GroupBy(l => l.Labeller).ToDictionary(x => x.Key, x => x.Last().FirstErrorStep)).ToList();
        var complete = byCase.Where(c => judges.All(c.ContainsKey)).ToList();
        var categories = complete.SelectMany(c => judges.Select(j => c[j])).Distinct().Order().ToList();
        var rows = complete.Select(c => (IReadOnlyList<int>)categories.Select(k => judges.Count(j => c[j] == k)).ToList()).ToList();
        var fleiss = judges.Count >= 2 && rows.Count > 0 ? Fleiss(rows) : double.NaN;
        var humanPairs = byCase.Where(c => c.ContainsKey(panel) && c.ContainsKey(JudgePanel.Human)).Select(c => (c[panel], c[JudgePanel.Human])).ToList();
        var accuracies = judges.Select(j =>
        {
            var vsPanel = byCase.Where(c => c.ContainsKey(j) && c.ContainsKey(panel)).ToList();
            var vsHuman = byCase.Where(c => c.ContainsKey(j) && c.ContainsKey(JudgePanel.Human)).ToList();
            return new JudgeAccuracy(j, vsPanel.Count, vsPanel.Count(c => c[j] == c[panel]), vsHuman.Count, vsHuman.Count(c => c[j] == c[JudgePanel.Human]));
        }).ToList();
        var panelVsHuman = humanPairs.Count == 0 ? double.NaN : (double)humanPairs.Count(p => p.Item1 == p.Item2) / humanPairs.Count;
        return new AgreementReport(fleiss, rows.Count, Cohen(humanPairs), humanPairs.Count, panelVsHuman, accuracies);
    }
}
