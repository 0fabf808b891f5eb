namespace QuantReason.Evaluation.Equivalence;

/// <summary>One interval of the real line with exact ends (±∞ as the infinity atom, whose ends are always open).</summary>
public sealed record Interval(SymbolicValue Low, bool LowClosed, SymbolicValue High, bool HighClosed);

/// <summary>
/// Exact interval algebra for comparing answers that describe sets of reals: a union of intervals is sorted and merged
/// into its canonical form (disjoint, non-adjacent, empty pieces dropped), so (0,9]∪(9,36) ≡ (0,36) and
/// x &lt; −3 or x &gt; 3 ≡ (−∞,−3)∪(3,∞). Ends are ordered by their numeric values and told equal exactly.
/// </summary>
public static class IntervalSet
{
    public static readonly SymbolicValue PlusInfinity = SymbolicValue.Of(Atom.Infinity);
    public static readonly SymbolicValue MinusInfinity = -PlusInfinity;

    /// <summary>The set an answer describes: an interval, a union of intervals, or a list of intervals ("or"); null
    /// when it is something else. Round brackets with finite ends count only when known to be an interval, or when
    /// <paramref name="assumeInterval"/> says the other side of the comparison is a set of reals.</summary>
    public static List<Interval>? Of(AnswerValue v, bool assumeInterval = false) => v switch
    {
        BracketedAnswer b when IsInterval(b) || assumeInterval && b.Items.Count == 2 => AsInterval(b) is { } i ? Normalize([i]) : null,
        UnionAnswer u => Collect(u.Parts),
        SetAnswer { Items.Count: > 1 } s when s.Items.All(i => i is BracketedAnswer b && IsInterval(b) || i is UnionAnswer) => Collect(s.Items),
        SetAnswer { Items.Count: 0 } => [],
        _ => null,
    };

    public static bool IsInterval(BracketedAnswer b) =>
        b.Items.Count == 2 && (b.IsInterval || b.Open != '(' || b.Close != ')' || b.Items.Any(i => i is ScalarAnswer s && IsInfinite(s.Value)));

    static List<Interval>? Collect(IEnumerable<AnswerValue> parts)
    {
        var all = new List<Interval>();
        foreach (var p in parts)
        {
            if (p is BracketedAnswer { Items.Count: 2 } b && AsInterval(b) is { } i) all.Add(i);
            else if (p is UnionAnswer u && Collect(u.Parts) is { } inner) all.AddRange(inner);
            else return null;
        }
        return Normalize(all);
    }

    static Interval? AsInterval(BracketedAnswer b) =>
        b.Items is [ScalarAnswer lo, ScalarAnswer hi] && Position(lo.Value) is not null && Position(hi.Value) is not null
            ? new Interval(lo.Value, b.Open == '[', hi.Value, b.Close == ']') : null;

    public static bool IsInfinite(SymbolicValue v) => v.Numerator.HasAtom(AtomKind.Infinity);

    /// <summary>Where a value lies on the real line (±∞ for the infinity atom); null when it is not a real number.</summary>
    public static double? Position(SymbolicValue v)
    {
        if (IsInfinite(v))
            return v.Numerator.AsSingleTerm is var (c, _) && v.Denominator.AsConstant is { } d ? (c / d).Sign * double.PositiveInfinity : null;
        return v.Evaluate() is { } z && Math.Abs(z.Imaginary) <= 1e-12 * Math.Max(1, Math.Abs(z.Real)) ? z.Real : null;
    }

    /// <summary>Sorted, merged, non-empty pieces.</summary>
    public static List<Interval> Normalize(IEnumerable<Interval> pieces)
    {
        var sorted = pieces.Select(Canonical).Where(i => !IsEmpty(i))
            .OrderBy(i => Position(i.Low)!.Value).ThenBy(i => i.LowClosed ? 0 : 1).ToList();
        var merged = new List<Interval>();
        foreach (var i in sorted)
        {
            if (merged.Count > 0 && Touches(merged[^1], i))
            {
                var last = merged[^1];
                var c = Compare(i.High, last.High);
                merged[^1] = c > 0 ? last with { High = i.High, HighClosed = i.HighClosed }
                    : c == 0 ? last with { HighClosed = last.HighClosed || i.HighClosed } : last;
            }
            else merged.Add(i);
        }
        return merged;
    }

    public static bool Same(IReadOnlyList<Interval> a, IReadOnlyList<Interval> b) =>
        a.Count == b.Count && a.Zip(b).All(p =>
            p.First.LowClosed == p.Second.LowClosed && p.First.HighClosed == p.Second.HighClosed
            && p.First.Low.ExactlyEquals(p.Second.Low) && p.First.High.ExactlyEquals(p.Second.High));

    /// <summary>{−x : x ∈ i}.</summary>
    public static Interval Mirror(Interval i) => new(-i.High, i.HighClosed, -i.Low, i.LowClosed);

    /// <summary>The piece of i at or above zero, or null when none is.</summary>
    public static Interval? NonNegative(Interval i)
    {
        var zero = SymbolicValue.Of(Rational.Zero);
        if (Compare(i.High, zero) < 0 || Compare(i.High, zero) == 0 && !i.HighClosed) return null;
        return Compare(i.Low, zero) < 0 ? i with { Low = zero, LowClosed = true } : i;
    }

    static Interval Canonical(Interval i) => i with
    {
        LowClosed = i.LowClosed && !IsInfinite(i.Low),
        HighClosed = i.HighClosed && !IsInfinite(i.High),
    };

    static bool IsEmpty(Interval i)
    {
        var c = Compare(i.Low, i.High);
        return c > 0 || c == 0 && !(i.LowClosed && i.HighClosed);
    }

    /// <summary>The next piece (starting at or after a's start) overlaps a or meets it at a shared end one of them holds.</summary>
    static bool Touches(Interval a, Interval next)
    {
        var c = Compare(next.Low, a.High);
        return c < 0 || c == 0 && (a.HighClosed || next.LowClosed);
    }

    /// <summary>Order of two ends: exact equality first, then their numeric positions.</summary>
    public static int Compare(SymbolicValue a, SymbolicValue b) =>
        a.ExactlyEquals(b) ? 0 : Position(a)!.Value.CompareTo(Position(b)!.Value);
}
