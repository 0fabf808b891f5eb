using System.Globalization;

namespace QuantReason.Data.StepMath;

/// <summary>A word problem compiled to the formula that answers it and the plausible wrong formulas.</summary>
public sealed record WordFormula(ProblemKind Kind, string Formula, IReadOnlyList<string> WrongFormulas, bool NonNegative, bool CeilDivision);

/// <summary>
/// The word-problem notation. A character-level model cannot afford English templates, so each problem is a keyword
/// and its numbers, using 14 letters in all (the letters of <c>\boxed</c> plus a, c, f, h, i, p, r, s, t):
/// <code>
/// area 12x7 [3x4]    area of a 12 by 7 rectangle [and a 3 by 4]   12*7 [+3*4]
/// peri 12x7 [3x4]    their perimeter                              (12+7)*2 [+(3+4)*2]
/// dist 45/h 3h [..]  distance at 45 per hour for 3 hours [, then] 45*3 [+30*2]
/// rate 135 3h        speed covering 135 in 3 hours                135/3
/// pct 25 of 80       25 percent of 80                             25*80/100
/// off 25 of 80       80 less 25 percent                           80-25*80/100
/// rest 100 3@12 5    change from 100 after 3 at 12 and 5    100-(3*12+5)
/// box 40 of 6        boxes of 6 needed for 40 items         40/6+1 (ceiling)
/// </code>
/// The wrong formulas are the neighbouring concept's formula (area ↔ perimeter, distance ↔ speed, percent of ↔ percent
/// that, discount ↔ markup, cost as quantity + price): a step that follows one of them is <c>formula_misuse</c>. Every quantity is a count
/// or an amount, so a negative result is a boundary-condition error; the box count is a ceiling, so a dropped or
/// invented remainder is one too.
/// </summary>
public static class WordProblems
{
    public static string Area(params (long A, long B)[] rectangles) => "area " + string.Join(' ', rectangles.Select(r => $"{r.A}x{r.B}"));
    public static string Perimeter(params (long A, long B)[] rectangles) => "peri " + string.Join(' ', rectangles.Select(r => $"{r.A}x{r.B}"));
    public static string Distance(params (long Speed, long Hours)[] legs) => "dist " + string.Join(' ', legs.Select(l => $"{l.Speed}/h {l.Hours}h"));
    public static string Discount(long percent, long of) => $"off {percent} of {of}";
    public static string Rate(long distance, long hours) => $"rate {distance} {hours}h";
    public static string Percent(long percent, long of) => $"pct {percent} of {of}";
    public static string Boxes(long items, long perBox) => $"box {items} of {perBox}";

    /// <summary>Items are (quantity, price) with quantity null for a single item at that price.</summary>
    public static string Change(long paid, IEnumerable<(long? Quantity, long Price)> items) =>
        $"rest {paid} " + string.Join(' ', items.Select(i => i.Quantity is { } q ? $"{q}@{i.Price}" : $"{i.Price}"));

    /// <summary>Null when the text is not in the word notation (it may be an arithmetic chain).</summary>
    public static WordFormula? TryCompile(string text)
    {
        var t = text.Split(' ');
        if (t.Length < 2) return null;
        switch (t[0])
        {
            case "area" when Rectangles(t) is { } r:
                return new(ProblemKind.Area, Sum(r, x => $"{x.A}*{x.B}"), [Sum(r, x => $"({x.A}+{x.B})*2")], true, false);
            case "peri" when Rectangles(t) is { } r:
                return new(ProblemKind.Perimeter, Sum(r, x => $"({x.A}+{x.B})*2"), [Sum(r, x => $"{x.A}*{x.B}")], true, false);
            case "dist" when Legs(t) is { } legs:
                return new(ProblemKind.Distance, Sum(legs, l => $"{l.Speed}*{l.Hours}"), [Sum(legs, l => $"{l.Speed}/{l.Hours}")], true, false);
            case "rate" when t.Length == 3 && Number(t[1]) is { } d && Suffixed(t[2], "h") is { } h:
                return new(ProblemKind.Rate, $"{d}/{h}", [$"{d}*{h}"], true, false);
            case "pct" when t.Length == 4 && t[2] == "of" && Number(t[1]) is { } p && Number(t[3]) is { } n:
                return new(ProblemKind.Percent, $"{p}*{n}/100", [$"{n}*100/{p}"], true, false);
            case "off" when t.Length == 4 && t[2] == "of" && Number(t[1]) is { } p && p <= 100 && Number(t[3]) is { } n:
                return new(ProblemKind.Discount, $"{n}-{p}*{n}/100", [$"{n}+{p}*{n}/100"], true, false);
            case "box" when t.Length == 4 && t[2] == "of" && Number(t[1]) is { } n && Number(t[3]) is { } k && k > 0:
                return new(ProblemKind.Boxes, n % k == 0 ? $"{n}/{k}" : $"{n}/{k}+1", [], true, true);
            case "rest" when t.Length >= 3 && Number(t[1]) is { } m:
                var items = new List<(string Right, string Wrong)>();
                for (int i = 2; i < t.Length; i++)
                {
                    if (Pair(t[i], '@') is (var q, var c)) items.Add(($"{q}*{c}", $"{q}+{c}"));
                    else if (Number(t[i]) is { } c1) items.Add(($"{c1}", $"{c1}"));
                    else return null;
                }
                string Cost(Func<(string Right, string Wrong), string> pick) =>
                    items.Count == 1 ? (pick(items[0]).Contains('+') ? $"({pick(items[0])})" : pick(items[0]))
                                     : $"({string.Join('+', items.Select(pick))})";
                var right = $"{m}-{Cost(i => i.Right)}";
                var wrong = $"{m}-{Cost(i => i.Wrong)}";
                return new(ProblemKind.Change, right, wrong == right ? [] : [wrong], true, false);
            default:
                return null;
        }
    }

    static string Sum<T>(IEnumerable<T> parts, Func<T, string> term) => string.Join('+', parts.Select(term));

    /// <summary>One or two rectangles: <c>area 12x7</c>, <c>area 12x7 3x4</c>.</summary>
    static List<(long A, long B)>? Rectangles(string[] t)
    {
        if (t.Length is < 2 or > 3) return null;
        var list = new List<(long, long)>();
        for (int i = 1; i < t.Length; i++)
            if (Pair(t[i], 'x') is { } r) list.Add(r); else return null;
        return list;
    }

    /// <summary>One or two legs of a journey: <c>dist 45/h 3h</c>, <c>dist 45/h 3h 30/h 2h</c>.</summary>
    static List<(long Speed, long Hours)>? Legs(string[] t)
    {
        if (t.Length is not (3 or 5)) return null;
        var list = new List<(long, long)>();
        for (int i = 1; i < t.Length; i += 2)
            if (Suffixed(t[i], "/h") is { } v && Suffixed(t[i + 1], "h") is { } h) list.Add((v, h)); else return null;
        return list;
    }

    static long? Number(string s) =>
        s.Length is > 0 and <= 15 && s.All(char.IsAsciiDigit) ? long.Parse(s, CultureInfo.InvariantCulture) : null;

    static long? Suffixed(string s, string suffix) => s.EndsWith(suffix, StringComparison.Ordinal) ? Number(s[..^suffix.Length]) : null;

    static (long, long)? Pair(string s, char sep)
    {
        int i = s.IndexOf(sep);
        return i > 0 && Number(s[..i]) is { } a && Number(s[(i + 1)..]) is { } b ? (a, b) : null;
    }
}
