using System.Text.RegularExpressions;

namespace QuantReason.Evaluation.Equivalence;

/// <summary>
/// Turns a normalised answer into an <see cref="AnswerValue"/>: choices, words, sets (\{…\}, comma lists, ±),
/// unions, matrices, tuples/intervals, equations, inequalities (as intervals), numerals in other bases and finally
/// exact scalar values. Whatever cannot be read honestly becomes <see cref="UnparsedAnswer"/>.
/// </summary>
public static partial class AnswerParser
{
    public static AnswerValue Parse(string raw) => Parse(LatexNormalizer.Normalize(raw));

    public static AnswerValue Parse(NormalizedAnswer n)
    {
        var c = n.Compact;
        if (c.Length == 0) return new UnparsedAnswer(c);
        if (Choice().Match(c) is { Success: true } choice) return new ChoiceAnswer(choice.Groups[1].Value[0]);
        if (ChoiceList().IsMatch(c))
            return new SetAnswer(c.Split(',').Select(x => (AnswerValue)new ChoiceAnswer(x.Trim('(', ')')[0])).ToList());
        if (AsText(n) is { } text) return text;
        if (ClockTime().Match(n.Text.Trim()) is { Success: true } time)
            return new TextAnswer($"{time.Groups[1].Value}:{(time.Groups[2].Success ? time.Groups[2].Value : "00")}{time.Groups[3].Value.ToLowerInvariant()}m");
        // 3:30 is a time of day, not the ratio 1:10 (ratios are written with a one-digit or unpadded second term).
        if (TwentyFourHourTime().Match(c) is { Success: true } clock) return new TextAnswer($"{int.Parse(clock.Groups[1].Value)}:{clock.Groups[2].Value}");
        // "1; 2; 3" lists like "1, 2, 3".
        if (c.Contains(';') && SplitTopLevel(c, ";") is { Count: > 1 } listed) c = string.Join(",", listed);
        try { return Structure(c, n.Percent); }
        catch (Exception e) when (e is NotRepresentableException or DivideByZeroException or OverflowException or FormatException)
        {
            return new UnparsedAnswer(c);
        }
    }

    /// <summary>Words only (no digits, no commands), and either marked up as \text or containing a real word.</summary>
    static TextAnswer? AsText(NormalizedAnswer n)
    {
        var t = n.Text.Trim();
        if (!Words().IsMatch(t)) return null;
        if (!n.HadTextMarkup && !LongWord().IsMatch(t)) return null;
        return new TextAnswer(new string(t.Where(char.IsLetter).Select(char.ToLowerInvariant).ToArray()));
    }

    static AnswerValue Structure(string c, bool percent)
    {
        if (c.Length == 0) throw new NotRepresentableException("empty part");
        if (c is @"\emptyset" or @"\varnothing" or @"\{\}") return new SetAnswer([]);
        if (Membership().Match(c) is { Success: true } member) return Structure(member.Groups[1].Value, percent);
        var union = SplitTopLevel(c, @"\cup");
        if (union.Count > 1) return new UnionAnswer(union.Select(p => Structure(p, false)).ToList());
        if (c.StartsWith(@"\begin{", StringComparison.Ordinal)) return Matrix(c);
        if (Wrapped(c, @"\{", @"\}")) return new SetAnswer(Items(c[2..^2]));
        if (c.Length >= 2 && c[0] == '{' && Wrapped(c, "{", "}")) return Structure(c[1..^1], percent);
        if (c[0] is '(' or '[' && c[^1] is ')' or ']' && Wrapped(c, c[..1], c[^1..]))
        {
            var inner = SplitTopLevel(c[1..^1], ",");
            if (inner.Count > 1) return new BracketedAnswer(c[0], c[^1], inner.Select(Element).ToList());
        }
        var items = Items(c);
        if (items.Count == 1 && SplitTopLevel(c, ",").Count == 1)
            return items[0] is ScalarAnswer s && percent ? s with { Percent = true } : items[0];
        return new SetAnswer(items);
    }

    /// <summary>Top-level comma items, each ± expanded into its two values.</summary>
    static List<AnswerValue> Items(string c) =>
        SplitTopLevel(c, ",").Where(p => p.Length > 0).SelectMany(Expand).Select(Element).ToList();

    static IEnumerable<string> Expand(string e)
    {
        var pm = e.IndexOf(@"\pm", StringComparison.Ordinal);
        var mp = e.IndexOf(@"\mp", StringComparison.Ordinal);
        var at = pm >= 0 && (mp < 0 || pm < mp) ? pm : mp;
        if (at < 0) { yield return e; yield break; }
        var (first, second) = at == pm ? ("+", "-") : ("-", "+");
        foreach (var x in Expand(e[..at] + first + e[(at + 3)..])) yield return x;
        foreach (var x in Expand(e[..at] + second + e[(at + 3)..])) yield return x;
    }

    static AnswerValue Element(string e)
    {
        if (e.Length == 0) throw new NotRepresentableException("empty item");
        if (e.StartsWith(@"\begin{", StringComparison.Ordinal) || Wrapped(e, @"\{", @"\}") || SplitTopLevel(e, @"\cup").Count > 1
            || e[0] is '(' or '[' && e[^1] is ')' or ']' && Wrapped(e, e[..1], e[^1..]) && SplitTopLevel(e[1..^1], ",").Count > 1)
            return Structure(e, false);
        var sides = SplitTopLevel(e, "=");
        if (sides.Count >= 2)
        {
            var rest = string.Join("=", sides.Skip(1));
            // "5 = 2p + q" is an equation in p and q, not the value 2p + q: a number on the left names nothing.
            var constantLeft = IsConstant(sides[0]);
            if (constantLeft && sides.Count == 2 && LatexExpressionParser.TryParse(rest, out _) && !IsConstant(rest))
                return new EquationAnswer(LatexExpressionParser.Parse(sides[0]).Value - LatexExpressionParser.Parse(rest).Value);
            // "x = 3", "(b,c) = (6,5)", "\cos\angle RPS = -\frac{24}{25}", "\frac{28}{4} = 7", "|PQ| = 5", "A:B = 3:4":
            // the left side only names or computes the answer, so the answer is what follows the equals sign.
            if (VariableName().IsMatch(sides[0]) || VariableTuple().IsMatch(sides[0]) || NamedQuantity().IsMatch(sides[0])
                || Label().IsMatch(sides[0]) || NamingExpression().IsMatch(sides[0]) || constantLeft)
            {
                var value = Element(rest);
                // An unknown on the left keeps the answer comparable as an equation too (y = 3x + 1 ≡ 3x − y + 1 = 0).
                return value is ScalarAnswer s && Unknown().IsMatch(sides[0]) && LatexExpressionParser.TryParse(sides[0], out var unknown)
                    ? s with { Label = unknown!.Value } : value;
            }
            if (sides.Count == 2)
            {
                var lhs = LatexExpressionParser.Parse(sides[0]).Value;
                var rhs = LatexExpressionParser.Parse(sides[1]).Value;
                return new EquationAnswer(lhs - rhs);
            }
            throw new NotRepresentableException("chained equation");
        }
        if (Inequality(e) is { } interval) return interval;
        if (InequalitySplit().Split(e) is { Length: >= 3 } relation)
            return InequalitySolver.Read(relation.Select(p => p.Trim()).ToList()) ?? throw new NotRepresentableException("unreadable inequality");
        if (Ratio().Match(e) is { Success: true } ratio)
            return new ScalarAnswer(LatexExpressionParser.Parse(ratio.Groups[1].Value).Value / LatexExpressionParser.Parse(ratio.Groups[2].Value).Value, false, false);
        if (BaseNumeral().Match(e) is { Success: true } numeral && ValidNumeral(numeral, out var digits, out var radix))
            return new BaseNumeralAnswer(digits, radix);
        var parsed = LatexExpressionParser.Parse(e);
        return new ScalarAnswer(parsed.Value, parsed.HasDecimal, false);
    }

    static bool IsConstant(string e) =>
        LatexExpressionParser.TryParse(e, out var parsed) && parsed!.Value.Evaluate() is not null;

    static bool ValidNumeral(Match m, out string digits, out int radix)
    {
        digits = m.Groups[1].Value.ToUpperInvariant();
        radix = int.Parse(m.Groups[2].Value);
        if (radix is < 2 or > 36 || !digits.Any(char.IsAsciiDigit)) return false;
        var r = radix;
        return digits.TrimStart('-').Where(ch => ch != '.').All(ch => (char.IsAsciiDigit(ch) ? ch - '0' : ch - 'A' + 10) < r);
    }

    /// <summary>x &lt; 3, x \ge 2, 1 \le x &lt; 4 (one variable) as the interval they describe.</summary>
    static BracketedAnswer? Inequality(string e)
    {
        var parts = InequalitySplit().Split(e).Select(p => p.Trim()).ToArray();
        if (parts.Length is not (3 or 5)) return null;
        var infinity = SymbolicValue.Of(Atom.Infinity);
        static bool Strict(string op) => op is "<" or ">" or @"\lt" or @"\gt";
        static bool Less(string op) => op is "<" or @"\le" or @"\lt";
        AnswerValue Bound(SymbolicValue v) => new ScalarAnswer(v, false, false);
        if (parts.Length == 3)
        {
            var (left, op, right) = (parts[0], parts[1], parts[2]);
            var varOnLeft = VariableName().IsMatch(left);
            if (!varOnLeft && !VariableName().IsMatch(right)) return null;
            var bound = LatexExpressionParser.Parse(varOnLeft ? right : left).Value;
            var upper = Less(op) == varOnLeft; // x < b or b > x: b is the upper end
            return upper
                ? new BracketedAnswer('(', Strict(op) ? ')' : ']', [Bound(-infinity), Bound(bound)]) { IsInterval = true }
                : new BracketedAnswer(Strict(op) ? '(' : '[', ')', [Bound(bound), Bound(infinity)]) { IsInterval = true };
        }
        if (!VariableName().IsMatch(parts[2]) || Less(parts[1]) != Less(parts[3])) return null;
        var a = LatexExpressionParser.Parse(parts[0]).Value;
        var b = LatexExpressionParser.Parse(parts[4]).Value;
        var (lo, loOp, hi, hiOp) = Less(parts[1]) ? (a, parts[1], b, parts[3]) : (b, parts[3], a, parts[1]);
        return new BracketedAnswer(Strict(loOp) ? '(' : '[', Strict(hiOp) ? ')' : ']', [Bound(lo), Bound(hi)]) { IsInterval = true };
    }

    static MatrixAnswer Matrix(string c)
    {
        var m = MatrixEnvironment().Match(c);
        if (!m.Success) throw new NotRepresentableException("unsupported environment");
        var body = m.Groups[2].Value;
        if (m.Groups[1].Value == "array" && body.StartsWith('{'))
            body = body[(LatexNormalizer.MatchingBrace(body, 0) + 1)..];
        var rows = SplitTopLevel(body, @"\\").Where(r => r.Length > 0)
            .Select(r => (IReadOnlyList<AnswerValue>)SplitTopLevel(r, "&").Select(Element).ToList()).ToList();
        if (rows.Count == 0 || rows.Any(r => r.Count != rows[0].Count)) throw new NotRepresentableException("ragged matrix");
        return new MatrixAnswer(rows);
    }

    /// <summary>True when the opener at 0 closes exactly at the end (so "(1)(2)" is not wrapped).</summary>
    static bool Wrapped(string s, string open, string close)
    {
        if (!s.StartsWith(open, StringComparison.Ordinal) || !s.EndsWith(close, StringComparison.Ordinal) || s.Length < open.Length + close.Length) return false;
        var depth = 0;
        for (var i = 0; i < s.Length; i++)
        {
            var step = Step(s, ref i);
            depth += step;
            if (depth == 0 && i < s.Length - 1) return false;
        }
        return depth == 0;
    }

    /// <summary>Depth change of the token at i (advancing i past escapes): ( [ { \{ \begin open, ) ] } \} \end close.</summary>
    static int Step(string s, ref int i)
    {
        var ch = s[i];
        if (ch == '\\' && i + 1 < s.Length)
        {
            if (s[i + 1] is '{') { i++; return 1; }
            if (s[i + 1] is '}') { i++; return -1; }
            if (s.AsSpan(i).StartsWith(@"\begin")) { i += 5; return 1; }
            if (s.AsSpan(i).StartsWith(@"\end")) { i += 3; return -1; }
            i++;
            return 0;
        }
        return ch is '(' or '[' or '{' ? 1 : ch is ')' or ']' or '}' ? -1 : 0;
    }

    /// <summary>Splits on a separator at bracket depth 0; a "\\" separator is matched before escapes are skipped.</summary>
    internal static List<string> SplitTopLevel(string s, string separator)
    {
        var parts = new List<string>();
        var depth = 0;
        var start = 0;
        for (var i = 0; i < s.Length; i++)
        {
            if (depth == 0 && string.CompareOrdinal(s, i, separator, 0, separator.Length) == 0
                && !(separator[0] == '\\' && char.IsAsciiLetter(separator[^1]) && i + separator.Length < s.Length
                     && char.IsAsciiLetter(s[i + separator.Length])))
            {
                parts.Add(s[start..i].Trim());
                i += separator.Length - 1;
                start = i + 1;
                continue;
            }
            depth += Step(s, ref i);
        }
        parts.Add(s[start..].Trim());
        return parts;
    }

    /// <summary>A time of day (1:03 PM, 9 a.m.), kept as text "1:03pm" after the normaliser dropped the final period.</summary>
    [GeneratedRegex(@"^(\d{1,2})(?::(\d{2}))?\s*([AaPp])\.?\s*[Mm]\.?$")]
    private static partial Regex ClockTime();

    /// <summary>A ratio a:b of two integers, read as the value a/b.</summary>
    [GeneratedRegex(@"^(\d+):(\d+)$")]
    private static partial Regex Ratio();

    [GeneratedRegex(@"^\(?[A-E]\)?(?:,\(?[A-E]\)?)+$")]
    private static partial Regex ChoiceList();

    /// <summary>Words or a power of one letter naming what is computed: "AC", "Volume of the box", "x^3".</summary>
    [GeneratedRegex(@"^(?:[A-Za-z][A-Za-z' ]+|[a-zA-Z]\^\{?\d+\}?)$")]
    private static partial Regex Label();

    [GeneratedRegex(@"^\((?:[a-zA-Z],)+[a-zA-Z]\)$")]
    private static partial Regex VariableTuple();

    /// <summary>A quantity named by a function, angle or overline: \cos\angle RPS, \angle ABC, \log_2 8, \overline{AB}.</summary>
    [GeneratedRegex(@"^\\(?:sin|cos|tan|cot|sec|csc|angle|measuredangle|overline|log|ln|arcsin|arccos|arctan|triangle|text|mathrm|operatorname)(?![a-zA-Z])")]
    private static partial Regex NamedQuantity();

    /// <summary>Names of quantities that are not single symbols: |PQ|, \frac{AM}{MB}, A:B, \overline{AB}, AM/MB, f(2).</summary>
    [GeneratedRegex(@"^(?:[fghpqFGHPQ]\((?:-?[\d./]+|[a-z])(?:,(?:-?[\d./]+|[a-z]))*\)|\|[A-Za-z]+\||\\frac\{[A-Za-z]+\}\{[A-Za-z]+\}|[A-Za-z]+(?::[A-Za-z]+)+|\\overline\{[A-Za-z]+\}|[A-Za-z]+/[A-Za-z]+|m?\\angle\s*[A-Za-z]+)$")]
    private static partial Regex NamingExpression();

    /// <summary>A single unknown (x, y_1, \theta) whose "= value" can also be read as an equation.</summary>
    [GeneratedRegex(@"^(?:[a-zA-Z]|\\(?!pi\b|infty\b)[a-zA-Z]+)(?:_\{?\w+\}?)?$")]
    private static partial Regex Unknown();

    [GeneratedRegex(@"^(\d{1,2}):([0-5]\d)$")]
    private static partial Regex TwentyFourHourTime();

    [GeneratedRegex(@"^\(?([A-E])\)?$")]
    private static partial Regex Choice();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z\s'\-,.&()]*$")]
    private static partial Regex Words();

    [GeneratedRegex(@"[A-Za-z]{3,}")]
    private static partial Regex LongWord();

    [GeneratedRegex(@"^(?:[a-zA-Z]|\\[a-zA-Z]+)(?:_\{?\w+\}?)?\\in(.+)$")]
    private static partial Regex Membership();

    [GeneratedRegex(@"^(?:[a-zA-Z]|\\(?!pi\b|infty\b)[a-zA-Z]+)(?:_\{?\w+\}?)?(?:\([a-zA-Z]\))?$")]
    private static partial Regex VariableName();

    [GeneratedRegex(@"^(-?[0-9A-Za-z]+(?:\.[0-9A-Za-z]+)?)_\{?(\d+)\}?$")]
    private static partial Regex BaseNumeral();

    [GeneratedRegex(@"(<|>|\\le(?![a-zA-Z])|\\ge(?![a-zA-Z])|\\lt(?![a-zA-Z])|\\gt(?![a-zA-Z]))")]
    private static partial Regex InequalitySplit();

    [GeneratedRegex(@"^\\begin\{([pbvBV]?matrix|smallmatrix|array)\}(.*)\\end\{\1\}$", RegexOptions.Singleline)]
    private static partial Regex MatrixEnvironment();
}
