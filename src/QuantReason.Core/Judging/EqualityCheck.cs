using System.Globalization;
using System.Numerics;
using System.Text.RegularExpressions;
using QuantReason.Evaluation.Equivalence;

namespace QuantReason.Judging;

public enum EqualityOutcome { Holds, Fails, Uncheckable }

/// <summary>The verdict on one stated equality, with both sides' exact values where they were read.</summary>
public sealed record EqualityVerdict(EqualityOutcome Outcome, string? LeftValue = null, string? RightValue = null)
{
    public static readonly EqualityVerdict Uncheckable = new(EqualityOutcome.Uncheckable);
}

/// <summary>
/// The thin adapter from a stated equality to the equivalence engine: both sides are read with
/// <see cref="AnswerParser"/> and compared with <see cref="Grader.Compare"/> (exact values, percent rescaling), then
/// relaxed where writing a number is not claiming it exactly:
/// <list type="bullet">
/// <item>a decimal literal is a rounding to its own digits: 10/3 = 3.33 and 25π = 78.54 hold (tolerance one unit in its
///   last place, plus 0.1 % for roundings carried through a chain);</item>
/// <item>a non-integer stated as the integer next to it with words after it (1000/3 = 333 people) is a rounding to whole
///   units: not checked (a bare 302/4=76 is);</item>
/// <item>an equality with free variables is checked only as an identity whose sides share their variables, degree and
///   have no constant term (3x + 2x = 5x); otherwise it defines or solves (x = 5, 2x + 3 = 7) and is not checkable;</item>
/// <item>functions and ∞ (\sin 30, in degrees or radians?) are not checked.</item>
/// </list>
/// </summary>
public static partial class EqualityCheck
{
    public static EqualityVerdict Check(StatedEquality e) => Check(e.Left, e.Right, e.WordsMayFollow);

    /// <param name="roundingAllowed">whether an integer for a fraction may be a rounding to whole units (words follow it)</param>
    public static EqualityVerdict Check(string left, string right, bool roundingAllowed = true)
    {
        if (Sides(left, right) is not var (ls, rs)) return EqualityVerdict.Uncheckable;
        (left, right) = (ls, rs);
        if (Read(left) is not { } a || Read(right) is not { } b) return EqualityVerdict.Uncheckable;
        var (va, vb) = (Variables(a.Value), Variables(b.Value));
        if (va is null || vb is null) return EqualityVerdict.Uncheckable;
        string l = a.Value.ToString(), r = b.Value.ToString();
        if (va.Count > 0 || vb.Count > 0)
        {
            if (!IsIdentityCandidate(a.Value, b.Value)) return EqualityVerdict.Uncheckable;
            return new(a.Value.ExactlyEquals(b.Value) ? EqualityOutcome.Holds : EqualityOutcome.Fails, l, r);
        }
        if (Grader.Compare(a, b).Equal) return new(EqualityOutcome.Holds, l, r);
        if (a.Value.Evaluate() is not { } x || b.Value.Evaluate() is not { } y) return EqualityVerdict.Uncheckable;
        if (Math.Abs(x.Imaginary) > 0 || Math.Abs(y.Imaginary) > 0)
            return new(Complex.Abs(x - y) <= 1e-9 * Math.Max(1, Complex.Abs(x)) ? EqualityOutcome.Holds : EqualityOutcome.Fails, l, r);
        double dx = x.Real, dy = y.Real;
        if (a.Percent) dx = Rescued(dx, dy);
        if (b.Percent) dy = Rescued(dy, dx);
        int digits = Math.Max(a.HasDecimal ? Decimals(left) : -1, b.HasDecimal ? Decimals(right) : -1);
        if (digits >= 0)
        {
            var tolerance = Math.Pow(10, -digits) + 1e-3 * Math.Max(Math.Abs(dx), Math.Abs(dy));
            return new(Math.Abs(dx - dy) <= tolerance ? EqualityOutcome.Holds : EqualityOutcome.Fails, l, r);
        }
        if (roundingAllowed && (RoundsToWhole(a.Value, b.Value) || RoundsToWhole(b.Value, a.Value))) return EqualityVerdict.Uncheckable;
        return new(EqualityOutcome.Fails, l, r);
    }

    /// <summary>A side read as one exact scalar, or null (a word, a tuple, an equation, an unparsed string).</summary>
    static ScalarAnswer? Read(string side)
    {
        if (side.Length > 200) return null; // a whole sentence caught between two '=': not one quantity
        try { return AnswerParser.Parse(side) as ScalarAnswer; }
        catch (Exception e) when (e is NotRepresentableException or DivideByZeroException or OverflowException or FormatException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>The free variables of a value; null when it holds a function, an opaque power or ∞ (not checkable).</summary>
    static HashSet<string>? Variables(SymbolicValue v)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var m in v.Numerator.Terms.Keys.Concat(v.Denominator.Terms.Keys))
            foreach (var (atom, _) in m.Factors)
            {
                // e and i are as often a variable or an index as Euler's number and the imaginary unit
                if (atom.Kind is AtomKind.Opaque or AtomKind.Infinity or AtomKind.Euler or AtomKind.ImaginaryUnit) return null;
                if (atom.Kind == AtomKind.Variable) names.Add(atom.Key);
            }
        return names;
    }

    /// <summary>
    /// Like terms collected into one: each side a single term over the same monomial (3x + 2x = 5x). Anything else with
    /// variables (xy = x + y − 2xy, 29(b − c) = b + c) is an equation the solution goes on to solve.
    /// </summary>
    static bool IsIdentityCandidate(SymbolicValue a, SymbolicValue b) =>
        a.Denominator.AsConstant is not null && b.Denominator.AsConstant is not null
        && a.Numerator.AsSingleTerm is { } x && b.Numerator.AsSingleTerm is { } y && x.Monomial.Equals(y.Monomial);

    /// <summary>
    /// The sides as the engine should read them, or null when the text shows they are not two whole quantities: an
    /// operator at an end (a side cut off by words), a function applied (f(0), P(x+1): the engine would multiply),
    /// a command the engine does not evaluate (\circ as an operation, \star, \pmod), or words that change
    /// between the sides (2 dozen = 24, 4 hours = 240 minutes). Units the same on both sides are dropped; 2^10 is 2^{10}.
    /// </summary>
    static (string, string)? Sides(string left, string right)
    {
        left = Exponent().Replace(left, "^{$1}");
        right = Exponent().Replace(right, "^{$1}");
        if (CutOff(left) || CutOff(right)) return null;
        var (lw, rw) = (Words(left), Words(right));
        if (lw is null || rw is null) return null;
        // a unit named only after the result of a computation ("12 + 6 = 18 \text{ pounds}") is the result's unit;
        // words that change otherwise (2 dozen = 24, 4 hours = 240) say the sides are not the same quantity
        bool resultUnit = lw.Count == 0 && rw.Count > 0 && HasOperator(left) && BareNumber().IsMatch(TextCommand().Replace(right, " "));
        if (!lw.SetEquals(rw) && !resultUnit) return null;
        if (lw.Count > 0 || rw.Count > 0) { left = TextCommand().Replace(left, " "); right = TextCommand().Replace(right, " "); }
        return (left, right);
    }

    static bool HasOperator(string side) => OperatorInside().IsMatch(side.TrimStart().TrimStart('-'));

    static bool CutOff(string side) =>
        side.Length == 0 || LeadingOperator().IsMatch(side) || TrailingOperator().IsMatch(side) || FunctionCall().IsMatch(side)
        || Commands().Matches(side).Any(m => !KnownCommands.Contains(m.Groups[1].Value));

    /// <summary>The words of a side's \text{…} groups (empty when none); null when a group holds a number (a label, not a unit).</summary>
    static HashSet<string>? Words(string side)
    {
        var words = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (Match m in TextCommand().Matches(side))
        {
            var inner = m.Groups[1].Value;
            if (inner.Any(char.IsDigit)) return null;
            foreach (Match w in Word().Matches(inner)) words.Add(w.Value.TrimEnd('s'));
        }
        return words;
    }

    static readonly HashSet<string> KnownCommands =
    [
        "frac", "dfrac", "tfrac", "cdot", "times", "div", "sqrt", "left", "right", "pi", "text", "textbf", "mathrm", "mbox",
        "binom", "dbinom", "tbinom", "quad", "qquad", "cdots", "ldots", "dots", "big", "Big", "bigl", "bigr", "Bigl", "Bigr",
        "lfloor", "rfloor", "lceil", "rceil", "overline", "displaystyle",
    ];

    /// <summary>A percent side read either as written or as hundredths, whichever is nearer the other side.</summary>
    static double Rescued(double percent, double other) =>
        Math.Abs(percent / 100 - other) < Math.Abs(percent - other) ? percent / 100 : percent;

    static bool RoundsToWhole(SymbolicValue exact, SymbolicValue whole) =>
        exact.AsRational is { IsInteger: false } q && whole.AsRational is { IsInteger: true } w
        && (BigInteger.Abs(q.Numerator) / BigInteger.Abs(q.Denominator)) is var floor
        && BigInteger.Abs(w.Numerator) is var wn && (wn == floor || wn == floor + 1) && (q.Sign == w.Sign || w.IsZero);

    static int Decimals(string side) => Decimal().Matches(side).Select(m => m.Groups[1].Length).DefaultIfEmpty(0).Max();

    [GeneratedRegex(@"\d\.(\d+)")]
    private static partial Regex Decimal();

    [GeneratedRegex(@"\^(\d{2,})")]
    private static partial Regex Exponent();

    [GeneratedRegex(@"^\s*(?:[+*/×÷·^=]|\\cdot|\\times|\\div)")]
    private static partial Regex LeadingOperator();

    [GeneratedRegex(@"(?:[+\-*/×÷·^]|\\cdot|\\times|\\div)\s*$")]
    private static partial Regex TrailingOperator();

    [GeneratedRegex(@"(?<![\\a-zA-Z])[a-zA-Z]\s*(?:\\left)?\s*\(")]
    private static partial Regex FunctionCall();

    [GeneratedRegex(@"\\([a-zA-Z]+)")]
    private static partial Regex Commands();

    [GeneratedRegex(@"\\(?:text|textbf|mathrm|mbox)\s*\{([^{}]*)\}")]
    private static partial Regex TextCommand();

    [GeneratedRegex(@"[A-Za-z]{2,}")]
    private static partial Regex Word();

    [GeneratedRegex(@"[+\-*/×÷·^]|\\cdot|\\times|\\div|\\frac")]
    private static partial Regex OperatorInside();

    [GeneratedRegex(@"^\s*-?\d+(?:\.\d+)?\s*$")]
    private static partial Regex BareNumber();
}
