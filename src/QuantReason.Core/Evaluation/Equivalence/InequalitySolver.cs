namespace QuantReason.Evaluation.Equivalence;

/// <summary>
/// Reads a chain of inequalities as the set it describes. One variable entering linearly (−y &lt; −2, 1 &lt; 2x + 1 ≤ 5,
/// 2x + 1 &gt; x + 4) or inside an absolute value (|x − 3| &lt; 2, 2 ≤ |t| ≤ 5) is solved exactly into intervals, so it
/// compares with interval and union answers. Anything else becomes an <see cref="InequalityAnswer"/> in ascending order,
/// which the grader compares up to a positive factor (x + y &gt; 2 ≡ −x − y &lt; −2).
/// </summary>
internal static class InequalitySolver
{
    static bool Strict(string op) => op is "<" or ">" or @"\lt" or @"\gt";
    static bool Less(string op) => op is "<" or @"\le" or @"\lt";

    /// <summary><paramref name="parts"/> alternate terms and operators (an odd count ≥ 3); null when the operators point
    /// both ways or a term does not parse.</summary>
    public static AnswerValue? Read(IReadOnlyList<string> parts)
    {
        if (parts.Count < 3 || parts.Count % 2 == 0 || parts.Where((_, i) => i % 2 == 0).Any(t => t.Length == 0)) return null;
        var ops = parts.Where((_, i) => i % 2 == 1).ToList();
        if (ops.Any(o => Less(o) != Less(ops[0]))) return null;
        var terms = parts.Where((_, i) => i % 2 == 0).ToList();
        if (!Less(ops[0])) { terms.Reverse(); ops.Reverse(); }
        var strict = ops.Select(Strict).ToList();
        if (Solve(terms, strict) is { } set) return AsAnswer(set);
        var values = new List<SymbolicValue>();
        foreach (var t in terms)
        {
            if (!LatexExpressionParser.TryParse(t, out var parsed)) return null;
            values.Add(parsed!.Value);
        }
        return new InequalityAnswer(values, strict);
    }

    static AnswerValue AsAnswer(List<Interval> set)
    {
        static AnswerValue End(SymbolicValue v) => new ScalarAnswer(v, false, false);
        var parts = set.Select(i => (AnswerValue)new BracketedAnswer(i.LowClosed ? '[' : '(', i.HighClosed ? ']' : ')',
            [End(i.Low), End(i.High)]) { IsInterval = true }).ToList();
        return parts.Count switch { 0 => new SetAnswer([]), 1 => parts[0], _ => new UnionAnswer(parts) };
    }

    /// <summary>Ascending terms lo ⋖ M (⋖ hi): the solution set in the one variable, or null when it is not of that form.</summary>
    static List<Interval>? Solve(List<string> terms, List<bool> strict)
    {
        if (terms.Count == 2)
        {
            var (left, right) = (Constant(terms[0]), Constant(terms[1]));
            // M < c, c < M, or both sides varying: (left − right) < 0.
            if (left is null && right is not null)
                return Preimage(terms[0], new Interval(IntervalSet.MinusInfinity, false, right, !strict[0]));
            if (right is null && left is not null)
                return Preimage(terms[1], new Interval(left, !strict[0], IntervalSet.PlusInfinity, false));
            if (left is null && right is null && Parse(terms[0]) is { } a && Parse(terms[1]) is { } b)
                return Linear(a - b, new Interval(IntervalSet.MinusInfinity, false, SymbolicValue.Of(Rational.Zero), !strict[0]));
            return null;
        }
        if (terms.Count == 3 && Constant(terms[0]) is { } lo && Constant(terms[2]) is { } hi && Constant(terms[1]) is null)
            return Preimage(terms[1], new Interval(lo, !strict[0], hi, !strict[1]));
        return null;
    }

    /// <summary>{v : M(v) ∈ range} for M linear in v, or |E| with E linear in v.</summary>
    static List<Interval>? Preimage(string m, Interval range)
    {
        if (m.Length > 2 && m[0] == '|' && m[^1] == '|' && m.IndexOf('|', 1) == m.Length - 1)
        {
            if (Parse(m[1..^1]) is not { } inner) return null;
            if (IntervalSet.NonNegative(range) is not { } r) return inner.FreeVariables.Count == 1 ? [] : null;
            var solutions = new List<Interval>();
            foreach (var piece in new[] { r, IntervalSet.Mirror(r) })
                if (Linear(inner, piece) is { } s) solutions.AddRange(s);
                else return null;
            return IntervalSet.Normalize(solutions);
        }
        return Parse(m) is { } value ? Linear(value, range) : null;
    }

    /// <summary>{v : a·v + b ∈ range} for a value linear in its one variable v with a real non-zero slope a.</summary>
    static List<Interval>? Linear(SymbolicValue value, Interval range)
    {
        if (value.HasOpaque || value.FreeVariables.Count != 1 || value.Denominator.AsConstant is not { } d) return null;
        var variable = Atom.Variable(value.FreeVariables.First());
        var (k, inverse) = Monomial.Of(variable, Rational.MinusOne);
        var slope = Polynomial.Zero;
        var offset = Polynomial.Zero;
        foreach (var (m, c) in value.Numerator.Terms)
        {
            var power = m.Factors.FirstOrDefault(f => f.Atom.Equals(variable)).Exponent;
            if (power.IsZero) { offset += Polynomial.Term(c, m); continue; }
            if (power != Rational.One) return null;
            var (k2, rest) = Monomial.Multiply(m, inverse);
            slope += Polynomial.Term(c * k * k2, rest);
        }
        var a = SymbolicValue.Quotient(slope, Polynomial.Constant(d));
        var b = SymbolicValue.Quotient(offset, Polynomial.Constant(d));
        if (IntervalSet.Position(a) is not { } sa || sa == 0 || !double.IsFinite(sa) || IntervalSet.Position(b) is not { } sb || !double.IsFinite(sb))
            return null;
        SymbolicValue Map(SymbolicValue end) => IntervalSet.IsInfinite(end) ? (sa > 0 ? end : -end) : (end - b) / a;
        var mapped = sa > 0
            ? new Interval(Map(range.Low), range.LowClosed, Map(range.High), range.HighClosed)
            : new Interval(Map(range.High), range.HighClosed, Map(range.Low), range.LowClosed);
        return IntervalSet.Position(mapped.Low) is null || IntervalSet.Position(mapped.High) is null ? null : IntervalSet.Normalize([mapped]);
    }

    static SymbolicValue? Parse(string s) => LatexExpressionParser.TryParse(s, out var p) ? p!.Value : null;

    /// <summary>A real constant (±∞ included), or null when the term varies or is not a real number.</summary>
    static SymbolicValue? Constant(string s) =>
        Parse(s) is { } v && v.FreeVariables.Count == 0 && IntervalSet.Position(v) is not null ? v : null;
}
