namespace QuantReason.Data.StepMath;

/// <summary>Summary of one level's sequence lengths (prompt characters + solution tokens).</summary>
public sealed record LevelLengths(int Level, int Count, int Min, int Median, int P95, int Max, double ShareWithin96);

/// <summary>Collects sequence lengths per level so the generator's budget can be reported.</summary>
public sealed class LengthReport
{
    readonly List<int>[] _lengths = Enumerable.Range(0, StepMathGenerator.MaxLevel + 1).Select(_ => new List<int>()).ToArray();

    public void Add(StepMathItem item) => _lengths[item.Level].Add(StepMathGenerator.TokenLength(item.Problem));

    public IReadOnlyList<LevelLengths> Levels()
    {
        var rows = new List<LevelLengths>();
        for (int level = 1; level <= StepMathGenerator.MaxLevel; level++)
        {
            var l = _lengths[level];
            if (l.Count == 0) continue;
            l.Sort();
            rows.Add(new LevelLengths(level, l.Count, l[0], l[l.Count / 2], l[(int)Math.Min(l.Count - 1, Math.Ceiling(0.95 * l.Count) - 1)], l[^1],
                l.Count(x => x <= 96) / (double)l.Count));
        }
        return rows;
    }
}
