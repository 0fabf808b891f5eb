namespace QuantReason.Judging;

/// <summary>
/// ProcessBench's metric for one split: accuracy on the erroneous solutions (the predicted first wrong step must be the
/// labelled one exactly), accuracy on the correct ones (the prediction must be −1), and F1, their harmonic mean.
/// Percentages, as the paper reports them. A solution the labeller did not label counts as missed.
/// </summary>
public sealed record ProcessBenchScore(string Split, int Erroneous, int ErroneousHit, int Correct, int CorrectHit)
{
    public double ErrorAccuracy => Erroneous == 0 ? 0 : 100.0 * ErroneousHit / Erroneous;
    public double CorrectAccuracy => Correct == 0 ? 0 : 100.0 * CorrectHit / Correct;
    public double F1 => ErrorAccuracy + CorrectAccuracy == 0 ? 0 : 2 * ErrorAccuracy * CorrectAccuracy / (ErrorAccuracy + CorrectAccuracy);

    /// <summary>One score per split, in the order the splits first appear; <paramref name="predicted"/> maps id → step.</summary>
    public static IReadOnlyList<ProcessBenchScore> Of(IEnumerable<ProcessBenchItem> items, Func<ProcessBenchItem, int?> predicted) =>
        items.GroupBy(i => i.Split).Select(g =>
        {
            int err = 0, errHit = 0, ok = 0, okHit = 0;
            foreach (var item in g)
            {
                var p = predicted(item);
                if (item.Label >= 0) { err++; if (p == item.Label) errHit++; }
                else { ok++; if (p == -1) okHit++; }
            }
            return new ProcessBenchScore(g.Key, err, errHit, ok, okHit);
        }).ToList();
}
