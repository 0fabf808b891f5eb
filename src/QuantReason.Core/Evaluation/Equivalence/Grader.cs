using System.Numerics;

namespace QuantReason.Evaluation.Equivalence;

/// <summary>
/// Decides whether a predicted answer is equivalent to the gold one, comparing meanings: exact values first, then the
/// structure of tuples, intervals, sets, unions, matrices and equations, then words and choice letters. A numeric
/// tolerance (relative 1e-6) is used only where one side is a decimal approximating an irrational value, so
/// 1.41421356 ≡ \sqrt{2} but 1.414 ≢ \sqrt{2}. No outside service is involved.
/// </summary>
public static class Grader
{
    public const double RelativeTolerance = 1e-6;

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
            case (TextAnswer x, TextAnswer y): return (x.Canonical == y.Canonical, Decision.Text);
            case (ChoiceAnswer x, ChoiceAnswer y): return (x.Letter == y.Letter, Decision.Choice);
            case (ChoiceAnswer x, TextAnswer y): return (y.Canonical.Length == 1 && char.ToUpperInvariant(y.Canonical[0]) == x.Letter, Decision.Choice);
            case (TextAnswer x, ChoiceAnswer y): return (x.Canonical.Length == 1 && char.ToUpperInvariant(x.Canonical[0]) == y.Letter, Decision.Choice);
            case (BaseNumeralAnswer x, BaseNumeralAnswer y): return (x.Digits == y.Digits && x.Base == y.Base, Decision.BaseNumeral);
            // A numeral whose base the prediction leaves implicit: 52 for 52_8 (the question fixed the base).
            case (BaseNumeralAnswer x, ScalarAnswer y): return (SameDigits(x, y), Decision.BaseNumeral);
            case (ScalarAnswer x, BaseNumeralAnswer y): return (SameDigits(y, x), Decision.BaseNumeral);
            // One solution in a set against a bare value: {3} ≡ 3.
            case (SetAnswer { Items.Count: 1 } x, _): return Compare(x.Items[0], b);
            case (_, SetAnswer { Items.Count: 1 } y): return Compare(a, y.Items[0]);
            default: return (false, Decision.KindMismatch);
        }
    }

    static (bool, Decision) Scalars(ScalarAnswer x, ScalarAnswer y)
    {
        var exact = x.Value.IsRational && y.Value.IsRational ? Decision.Rational : Decision.Symbolic;
        if (x.Value.ExactlyEquals(y.Value)) return (true, exact);
        // A percent sign makes "50\%" also readable as 0.5; only the side that carried it is rescaled.
        var hundredth = SymbolicValue.Of(new Rational(1, 100));
        if (x.Percent && (x.Value * hundredth).ExactlyEquals(y.Value)) return (true, Decision.Percent);
        if (y.Percent && (y.Value * hundredth).ExactlyEquals(x.Value)) return (true, Decision.Percent);
        if (ApproximatesIrrational(x, y) || ApproximatesIrrational(y, x))
            return (Close(x.Value.Evaluate(), y.Value.Evaluate()), Decision.Numeric);
        return (false, exact);
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

    /// <summary>Multiset equality under equivalence: every item of one side matched to a distinct item of the other.</summary>
    static bool Unordered(IReadOnlyList<AnswerValue> xs, IReadOnlyList<AnswerValue> ys)
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
