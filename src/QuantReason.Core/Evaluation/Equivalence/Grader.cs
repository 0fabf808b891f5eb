using System.Numerics;

namespace QuantReason.Evaluation.Equivalence;

/// <summary>
/// Decides whether a predicted answer is equivalent to the gold one, comparing meanings: exact values first, then the
/// structure of tuples, intervals (as sets of reals, by exact interval algebra), sets, unions, matrices, equations and
/// inequalities, then words and choice letters. Values built on functions, sums or nested radicals that exact arithmetic
/// leaves apart are tested at seeded random points (<see cref="NumericIdentity"/>). Tolerances apply only to decimals:
/// relative 1e-6 where one side is a decimal approximating an irrational value (1.41421356 ≡ \sqrt{2}, 1.414 ≢ \sqrt{2}),
/// and exact rounding or truncation at the last digit where a decimal of at least <see cref="LongDecimalDigits"/>
/// significant digits stands for a rational whose expansion does not end (0.142857142857 ≡ 1/7; 0.14, 0.142857 and 0.333333333 are rounded
/// answers and stay wrong against an exact gold). No outside service is involved.
/// </summary>
public static class Grader
{
    public const double RelativeTolerance = 1e-6;

    /// <summary>Significant digits from which a decimal reads as a calculator's rendering of an exact rational.</summary>
    public const int LongDecimalDigits = 10;

    public static Verdict Equivalent(string gold, string? predicted)
    {
        var g = LatexNormalizer.Normalize(gold);
        if (predicted is null || string.IsNullOrWhiteSpace(predicted))
            return new Verdict(false, Decision.NoAnswer, g.Compact, "");
        var p = LatexNormalizer.Normalize(predicted);
        var (equal, decision) = Compare(AnswerParser.Parse(g), AnswerParser.Parse(p));
        return new Verdict(equal, decision, g.Compact, p.Compact);
    }

    /// <summary>Compares two parsed answers; the decision names the comparison that settled it.</summary>
    public static (bool Equal, Decision By) Compare(AnswerValue a, AnswerValue b)
    {
        // Sets of reals (intervals, unions, inequalities solved into them) compare as sets, whatever their notation.
        if (a is BracketedAnswer or UnionAnswer || b is BracketedAnswer or UnionAnswer)
        {
            var (ia, ib) = (IntervalSet.Of(a), IntervalSet.Of(b));
            // (0, 36) against a union is the open interval, not a point.
            ia ??= ib is null ? null : IntervalSet.Of(a, assumeInterval: true);
            ib ??= ia is null ? null : IntervalSet.Of(b, assumeInterval: true);
            if (ia is not null && ib is not null)
                return (IntervalSet.Same(ia, ib), a is BracketedAnswer && b is BracketedAnswer ? Decision.Interval : Decision.Union);
        }
        switch (a, b)
        {
            case (UnparsedAnswer x, _): return (x.Normalized == Flat(b), Decision.String);
            case (_, UnparsedAnswer y): return (Flat(a) == y.Normalized, Decision.String);
            case (ScalarAnswer x, ScalarAnswer y): return Scalars(x, y);
            case (BracketedAnswer x, BracketedAnswer y):
            {
                var interval = IsInterval(x) || IsInterval(y);
                var by = interval ? Decision.Interval : Decision.Tuple;
                if (x.Open != y.Open || x.Close != y.Close || x.Items.Count != y.Items.Count) return (false, by);
                return (x.Items.Zip(y.Items).All(t => Compare(t.First, t.Second).Equal), by);
            }
            case (SetAnswer x, SetAnswer y): return (Unordered(x.Items, y.Items), Decision.Set);
            case (UnionAnswer x, UnionAnswer y): return (Unordered(x.Parts, y.Parts), Decision.Union);
            case (MatrixAnswer x, MatrixAnswer y):
                return (x.Rows.Count == y.Rows.Count && x.Rows.Zip(y.Rows).All(r =>
                    r.First.Count == r.Second.Count && r.First.Zip(r.Second).All(c => Compare(c.First, c.Second).Equal)), Decision.Matrix);
            // A column vector written as a tuple: (1, 2, 3) for \begin{pmatrix}1\\2\\3\end{pmatrix}.
            case (MatrixAnswer x, BracketedAnswer { Open: '(', Close: ')' } y): return (ColumnEquals(x, y), Decision.Matrix);
            case (BracketedAnswer { Open: '(', Close: ')' } x, MatrixAnswer y): return (ColumnEquals(y, x), Decision.Matrix);
            case (EquationAnswer x, EquationAnswer y): return (SameEquation(x.Difference, y.Difference), Decision.Equation);
            // "y = 3x + 1" against "3x - y + 1 = 0": the named unknown makes the value an equation.
            case (EquationAnswer x, ScalarAnswer { Label: { } l } y): return (SameEquation(x.Difference, l - y.Value), Decision.Equation);
            case (ScalarAnswer { Label: { } l } x, EquationAnswer y): return (SameEquation(l - x.Value, y.Difference), Decision.Equation);
            case (InequalityAnswer x, InequalityAnswer y): return (SameInequality(x, y), Decision.Inequality);
            case (TextAnswer x, TextAnswer y): return (x.Canonical == y.Canonical, Decision.Text);
            case (ChoiceAnswer x, ChoiceAnswer y): return (x.Letter == y.Letter, Decision.Choice);
            case (ChoiceAnswer x, TextAnswer y): return (y.Canonical.Length == 1 && char.ToUpperInvariant(y.Canonical[0]) == x.Letter, Decision.Choice);
            case (TextAnswer x, ChoiceAnswer y): return (x.Canonical.Length == 1 && char.ToUpperInvariant(x.Canonical[0]) == y.Letter, Decision.Choice);
            case (BaseNumeralAnswer x, BaseNumeralAnswer y): return (x.Digits == y.Digits && x.Base == y.Base, Decision.BaseNumeral);
            // A numeral whose base the prediction leaves implicit: 52 for 52_8 (the question fixed the base).
            case (BaseNumeralAnswer x, ScalarAnswer y): return (SameDigits(x, y), Decision.BaseNumeral);
            case (ScalarAnswer x, BaseNumeralAnswer y): return (SameDigits(y, x), Decision.BaseNumeral);
            // One solution in a set against a bare value: {3} ≡ 3, and 2, 2 (a double root) ≡ 2.
            case (SetAnswer x, not SetAnswer) when Distinct(x.Items).Count == 1: return Compare(x.Items[0], b);
            case (not SetAnswer, SetAnswer y) when Distinct(y.Items).Count == 1: return Compare(a, y.Items[0]);
            default: return (false, Decision.KindMismatch);
        }
    }

    static (bool, Decision) Scalars(ScalarAnswer x, ScalarAnswer y)
    {
        var exact = x.Value.IsRational && y.Value.IsRational ? Decision.Rational : Decision.Symbolic;
        if (x.Value.ExactlyEquals(y.Value)) return (true, exact);
        // Two unknowns named differently (y = 3x + 1, x = (y − 1)/3) may still be one equation.
        if (x.Label is { } lx && y.Label is { } ly && !lx.ExactlyEquals(ly) && SameEquation(lx - x.Value, ly - y.Value))
            return (true, Decision.Equation);
        // A percent sign makes "50\%" also readable as 0.5; only the side that carried it is rescaled.
        var hundredth = SymbolicValue.Of(new Rational(1, 100));
        if (x.Percent && (x.Value * hundredth).ExactlyEquals(y.Value)) return (true, Decision.Percent);
        if (y.Percent && (y.Value * hundredth).ExactlyEquals(x.Value)) return (true, Decision.Percent);
        if (ApproximatesIrrational(x, y) || ApproximatesIrrational(y, x))
            return (Close(x.Value.Evaluate(), y.Value.Evaluate()), Decision.Numeric);
        if (LongDecimalOf(x, y) || LongDecimalOf(y, x)) return (true, Decision.Numeric);
        // Functions, sums, nested radicals: exact forms can differ for one value, so evaluate at random points.
        if ((x.Value.HasOpaque || y.Value.HasOpaque) && !x.HasDecimal && !y.HasDecimal && NumericIdentity.Equal(x.Value, y.Value))
            return (true, Decision.Identity);
        return (false, exact);
    }

    /// <summary>
    /// A decimal of at least <see cref="LongDecimalDigits"/> significant digits that is an exact rational, whose decimal
    /// expansion does not end, rounded (half up) or truncated at the decimal's last digit; nothing else is accepted.
    /// </summary>
    static bool LongDecimalOf(ScalarAnswer approx, ScalarAnswer exact)
    {
        if (!approx.HasDecimal || exact.HasDecimal || approx.Value.AsRational is not { } d || exact.Value.AsRational is not { } q) return false;
        if (Terminates(q.Denominator)) return false;
        // d = m / 10^k with k the digits after the point; m's digits (less trailing zeros) are the significant ones.
        var k = 0;
        var scale = BigInteger.One;
        while (!(scale % d.Denominator).IsZero) { scale *= 10; if (++k > 400) return false; }
        var m = d.Numerator * (scale / d.Denominator);
        if (BigInteger.Abs(m).ToString().TrimEnd('0').Length < LongDecimalDigits || m.Sign != q.Sign) return false;
        var shifted = q.Abs() * new Rational(scale, 1);
        var truncated = shifted.Floor();
        var rounded = (shifted + Rational.Half).Floor();
        return BigInteger.Abs(m) == truncated || BigInteger.Abs(m) == rounded;
    }

    static bool Terminates(BigInteger denominator)
    {
        foreach (var p in new[] { 2, 5 }) while ((denominator % p).IsZero) denominator /= p;
        return denominator.IsOne;
    }

    /// <summary>Chains of inequalities: term by term, or for one inequality a − b proportional by a positive factor.</summary>
    static bool SameInequality(InequalityAnswer x, InequalityAnswer y)
    {
        if (x.Terms.Count != y.Terms.Count || !x.Strict.SequenceEqual(y.Strict)) return false;
        if (x.Terms.Zip(y.Terms).All(t => t.First.ExactlyEquals(t.Second))) return true;
        if (x.Terms.Count != 2) return false;
        var a = x.Terms[0] - x.Terms[1];
        var b = y.Terms[0] - y.Terms[1];
        if (a.Numerator.IsZero || b.Numerator.IsZero) return false;
        // a/b = num(a)·den(b) / (num(b)·den(a)) must be a positive constant.
        return SymbolicValue.Proportion(a.Numerator * b.Denominator, b.Numerator * a.Denominator) is { Sign: > 0 };
    }

    /// <summary>The items with equivalent repeats removed (first of each kept).</summary>
    static List<AnswerValue> Distinct(IReadOnlyList<AnswerValue> items)
    {
        var kept = new List<AnswerValue>();
        foreach (var i in items)
            if (!kept.Any(k => Compare(k, i).Equal)) kept.Add(i);
        return kept;
    }

    /// <summary>A decimal literal against an exact value that is not rational (√2, π, 3+√5): the only case a tolerance applies.</summary>
    static bool ApproximatesIrrational(ScalarAnswer approx, ScalarAnswer exact) =>
        approx.HasDecimal && approx.Value.IsRational && !exact.Value.IsRational && exact.Value.Evaluate() is not null;

    static bool Close(Complex? a, Complex? b)
    {
        if (a is not { } x || b is not { } y) return false;
        var scale = Math.Max(Complex.Abs(x), Complex.Abs(y));
        return Complex.Abs(x - y) <= RelativeTolerance * scale;
    }

    /// <summary>Square brackets, or an infinite end, make a pair an interval rather than a point.</summary>
    static bool IsInterval(BracketedAnswer x) =>
        x.Open != '(' || x.Close != ')' || x.Items.Any(i => i is ScalarAnswer s && s.Value.Numerator.HasAtom(AtomKind.Infinity));

    static bool ColumnEquals(MatrixAnswer m, BracketedAnswer t) =>
        m.Rows.All(r => r.Count == 1) && m.Rows.Count == t.Items.Count
        && m.Rows.Zip(t.Items).All(p => Compare(p.First[0], p.Second).Equal);

    /// <summary>
    /// Multiset equality under equivalence: every item of one side matched to a distinct item of the other. When only one
    /// side repeats a value it listed a root twice while the other describes the set, so duplicates collapse (2, 2, 3 ≡
    /// 3, 2); when both repeat, the multiplicities they state must agree.
    /// </summary>
    static bool Unordered(IReadOnlyList<AnswerValue> xs, IReadOnlyList<AnswerValue> ys)
    {
        if (MatchedOneToOne(xs, ys)) return true;
        if (xs.Count > 64 || ys.Count > 64) return false;
        var (dx, dy) = (Distinct(xs), Distinct(ys));
        if (dx.Count < xs.Count && dy.Count < ys.Count) return false;
        return (dx.Count < xs.Count || dy.Count < ys.Count) && MatchedOneToOne(dx, dy);
    }

    static bool MatchedOneToOne(IReadOnlyList<AnswerValue> xs, IReadOnlyList<AnswerValue> ys)
    {
        if (xs.Count != ys.Count) return false;
        var used = new bool[ys.Count];
        foreach (var x in xs)
        {
            var found = false;
            for (var j = 0; j < ys.Count && !found; j++)
            {
                if (used[j] || !Compare(x, ys[j]).Equal) continue;
                used[j] = found = true;
            }
            if (!found) return false;
        }
        return true;
    }

    /// <summary>lhs − rhs of both equations proportional by a non-zero rational (2x = 4 ≡ x − 2 = 0).</summary>
    static bool SameEquation(SymbolicValue a, SymbolicValue b)
    {
        if (a.Numerator.IsZero || b.Numerator.IsZero) return a.Numerator.IsZero && b.Numerator.IsZero;
        var an = a.Numerator * b.Denominator;
        var bn = b.Numerator * a.Denominator;
        return SymbolicValue.Proportion(an, bn) is { IsZero: false };
    }

    static bool SameDigits(BaseNumeralAnswer x, ScalarAnswer y) =>
        y.Value.AsRational is { IsInteger: true } r && r.Numerator.ToString() == x.Digits.TrimStart('0').PadLeft(1, '0');

    /// <summary>A parsed answer back as a comparable string, for the raw-string fallback.</summary>
    static string Flat(AnswerValue v) => v switch
    {
        UnparsedAnswer u => u.Normalized,
        _ => "\u0000" + v.GetType().Name, // never equal to a normalised string
    };
}
