using System.Text;
using System.Text.RegularExpressions;

namespace QuantReason.Evaluation.Equivalence;

/// <summary>
/// String-level clean-up of an answer before it is parsed: the rewrites every strong grader applies (Hendrycks, PRM800K,
/// Qwen2.5-Math), each one a separate step below. Nothing here decides equivalence; it only removes notation that carries
/// no value (delimiters, spacing, \left/\right, units, degree signs) and spells shorthand out (\frac12, \sqrt2, .5).
/// </summary>
public static partial class LatexNormalizer
{
    /// <summary>Unit words dropped after a value (singular forms; a plural s is allowed). Multi-letter only, so a
    /// variable like m or s is never taken for a unit.</summary>
    static readonly string[] Units =
    [
        "unit", "sq unit", "square unit", "cubic unit", "degree", "radian", "cm", "mm", "km", "meter", "metre", "inch", "inche",
        "foot", "feet", "ft", "yard", "mile", "mph", "hour", "hr", "minute", "min", "second", "sec", "day", "week", "month", "year",
        "dollar", "cent", "pound", "ounce", "gram", "kg", "liter", "litre", "gallon", "cup", "people", "person", "student",
        "point", "page", "book", "apple", "marble", "egg", "ticket", "mile per hour", "square feet", "square foot",
        "square meter", "square inch", "square centimeter", "sq ft", "sq in", "cubic feet", "cubic inch", "cubic centimeter",
        "percent", "times", "way", "number", "integer", "digit", "row", "seat", "handshake", "game", "box", "card", "coin",
    ];

    static readonly Regex UnitSuffix = new(
        @"(?:(?<=[\d}\)\]])\s*|\s+)(?:" + string.Join("|", Units.OrderByDescending(u => u.Length).Select(Regex.Escape))
        + @")(?:s|es)?\b(?:\^\{?[23]\}?)?\s*\.?\s*$", RegexOptions.IgnoreCase);

    const string LineBreak = "\u0001";

    public static NormalizedAnswer Normalize(string raw)
    {
        var s = UndoubleBackslashes(raw.Trim());
        s = Unicode(s);
        s = StripDelimiters(s);
        s = s.Replace(@"\\", LineBreak); // protect \\ so "\\ " is not read as the spacing command "\ "
        s = s.Replace(@"\$", "").Replace("$", "");
        s = StrayBackslash().Replace(s, ""); // "\15" is a mangled "\$15"
        s = LeftRight().Replace(s, "");
        s = ExplicitThousands().Replace(s, m => ThousandsMark().Replace(m.Value, ""));
        s = Spacing().Replace(s, m => m.Value is @"\ " or "~" or @"\quad" or @"\qquad" ? " " : "");
        s = s.Replace(@"\dfrac", @"\frac").Replace(@"\tfrac", @"\frac").Replace(@"\cfrac", @"\frac")
             .Replace(@"\dbinom", @"\binom").Replace(@"\tbinom", @"\binom")
             .Replace(@"\displaystyle", "").Replace(@"\lbrace", @"\{").Replace(@"\rbrace", @"\}")
             .Replace(@"\leq", @"\le").Replace(@"\geq", @"\ge").Replace(@"\neq", @"\ne")
             .Replace(@"\approx", "=").Replace(@"\simeq", "=").Replace("≈", "="); // "t \approx 4.5" states the value 4.5
        s = Degrees().Replace(s, "");
        var percent = false;
        s = PercentSign().Replace(s, _ => { percent = true; return ""; });
        s = PercentWord().Replace(s, _ => { percent = true; return ""; });
        var hadText = false;
        s = UnwrapText(s, ref hadText);
        s = Connective().Replace(s, ",");
        for (var before = ""; before != s;) { before = s; s = UnitSuffix.Replace(s, "").TrimEnd(); }
        s = FracDigits().Replace(s, @"\frac{$1}{$2}");
        s = FracGroupDigit().Replace(s, @"\frac{$1}{$2}");
        s = FracDigitGroup().Replace(s, @"\frac{$1}{");
        s = SqrtToken().Replace(s, @"\sqrt{$1}");
        s = LeadingPoint().Replace(s, "0.$1");
        s = s.Trim().TrimEnd('.').Trim();
        if (s.EndsWith(LineBreak, StringComparison.Ordinal)) s = s[..^1].Trim(); // a stray line break after an aligned answer
        s = s.Replace(LineBreak, @"\\");
        var text = Whitespace().Replace(s, " ");
        var compact = CompactSpaces().Replace(text, "");
        if (ThousandsNumber().IsMatch(compact)) compact = compact.Replace(",", "");
        return new NormalizedAnswer(text, compact, percent, hadText);
    }

    /// <summary>
    /// Halves every backslash of JSON-escaped LaTeX that was escaped once too often ("\\\\frac{1}{2}"): only when no
    /// backslash stands alone, so a genuine row break "\\\\" inside otherwise normal LaTeX is left as it is.
    /// </summary>
    public static string UndoubleBackslashes(string s)
    {
        if (!s.Contains(@"\\", StringComparison.Ordinal) || !DoubledCommand().IsMatch(s)) return s;
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] != '\\') continue;
            var run = 1;
            while (i + run < s.Length && s[i + run] == '\\') run++;
            if (run % 2 == 1) return s;
            i += run - 1;
        }
        return s.Replace(@"\\", @"\");
    }

    static string Unicode(string s) => s
        .Replace('−', '-').Replace('–', '-').Replace("×", @"\times ").Replace("÷", @"\div ").Replace("·", @"\cdot ")
        .Replace("π", @"\pi ").Replace("∞", @"\infty ").Replace("√", @"\sqrt").Replace("≤", @"\le ").Replace("≥", @"\ge ")
        .Replace("°", "").Replace("\u00a0", " ");

    /// <summary>Whole-answer math delimiters: $…$, $$…$$, \(…\), \[…\].</summary>
    static string StripDelimiters(string s)
    {
        for (var changed = true; changed;)
        {
            var before = s;
            if (s.Length >= 4 && s.StartsWith("$$", StringComparison.Ordinal) && s.EndsWith("$$", StringComparison.Ordinal)) s = s[2..^2].Trim();
            else if (s.Length >= 2 && s.StartsWith('$') && s.EndsWith('$') && !s.EndsWith(@"\$", StringComparison.Ordinal)) s = s[1..^1].Trim();
            else if (s.StartsWith(@"\(", StringComparison.Ordinal) && s.EndsWith(@"\)", StringComparison.Ordinal)) s = s[2..^2].Trim();
            else if (s.StartsWith(@"\[", StringComparison.Ordinal) && s.EndsWith(@"\]", StringComparison.Ordinal)) s = s[2..^2].Trim();
            changed = s != before;
        }
        return s;
    }

    /// <summary>
    /// \text{…}, \textbf{…}, \mbox{…}, \mathrm{…}: a unit after a value is dropped (with its ^2), any other content is
    /// kept without the markup ("\text{(C)}" → "(C)", "\text{east}" → "east").
    /// </summary>
    static string UnwrapText(string s, ref bool hadText)
    {
        var sb = new StringBuilder();
        var i = 0;
        while (i < s.Length)
        {
            var m = TextCommand().Match(s, i);
            if (!m.Success) { sb.Append(s, i, s.Length - i); break; }
            sb.Append(s, i, m.Index - i);
            var open = m.Index + m.Length - 1;
            var close = MatchingBrace(s, open);
            if (close < 0) { sb.Append(s, m.Index, s.Length - m.Index); break; }
            var content = s[(open + 1)..close];
            var rest = close + 1;
            var before = sb.ToString().Trim();
            var afterValue = before.Length > 0 && (char.IsLetterOrDigit(before[^1]) || before[^1] is '}' or ')' or ']');
            var word = content.Trim().ToLowerInvariant();
            if (afterValue && word is "or" or "and")
            {
                // "1 \text{ or } 2" lists two answers.
                sb.Append(',');
            }
            else if (before.Length > 0 && IsUnit(content) || afterValue && UnitWords().IsMatch(content))
            {
                var power = UnitPower().Match(s, rest);
                if (power.Success) rest += power.Length;
                sb.Append(' ');
            }
            else
            {
                hadText = true;
                sb.Append(content);
            }
            i = rest;
        }
        return sb.ToString();
    }

    /// <summary>A unit word (or its plural) that the normaliser drops after a value: "dollars", "percent", "cm".</summary>
    public static bool IsUnitWord(string word) => UnitSuffix.Match("1 " + word) is { Success: true, Index: <= 2 } || word is "pct";

    static bool IsUnit(string content)
    {
        var c = content.Trim().TrimEnd('.').Trim();
        if (c.Length == 0) return true;
        return UnitSuffix.IsMatch("1 " + c) && UnitSuffix.Match("1 " + c).Index <= 2;
    }

    internal static int MatchingBrace(string s, int open)
    {
        var depth = 0;
        for (var k = open; k < s.Length; k++)
        {
            if (s[k] == '\\') { k++; continue; }
            if (s[k] == '{') depth++;
            else if (s[k] == '}' && --depth == 0) return k;
        }
        return -1;
    }

    [GeneratedRegex(@"\\(?:left|right)\.|\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|big|Big|bigg|Bigg)(?![a-zA-Z])")]
    private static partial Regex LeftRight();

    // LaTeX's own thousands separators, 10{,}000 and 10,\!000, are unambiguous even inside a fraction or a list.
    [GeneratedRegex(@"(?<!\d)\d{1,3}(?:(?:\{,\}|,\\!)\s*\d{3})+(?!\d)")]
    private static partial Regex ExplicitThousands();

    [GeneratedRegex(@"\{,\}|,\\!|\s")]
    private static partial Regex ThousandsMark();

    [GeneratedRegex(@"\\(?=\d)")]
    private static partial Regex StrayBackslash();

    [GeneratedRegex(@"\\[!,;: ]|\\quad|\\qquad|~")]
    private static partial Regex Spacing();

    // Words after a value name what was counted ("65 \text{ children tickets}"): a unit in effect, dropped.
    [GeneratedRegex(@"^\s*[A-Za-z][A-Za-z\s\-'.]*$")]
    private static partial Regex UnitWords();

    [GeneratedRegex(@"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\\circ|\\degree")]
    private static partial Regex Degrees();

    [GeneratedRegex(@"\\%|%")]
    private static partial Regex PercentSign();

    // "25 percent", "25 pct": the word after a value is a percent sign (the unit list would drop it without the flag).
    [GeneratedRegex(@"(?<=[\d}])\s*(?:percent|pct\.?)(?![A-Za-z])", RegexOptions.IgnoreCase)]
    private static partial Regex PercentWord();

    // "2 or 3", "x = 1 and x = 4": a bare "or"/"and" between values lists them (words on both sides are a text answer).
    [GeneratedRegex(@"(?<=[\d}\)\]])\s*,?\s+(?:or|and)\s+(?=[-+\d\\(\[{]|[A-Za-z]\s*(?:=|<|>|\\[lg]e\b))")]
    private static partial Regex Connective();

    [GeneratedRegex(@"\\\\[A-Za-z]")]
    private static partial Regex DoubledCommand();

    [GeneratedRegex(@"\\(?:text|textbf|textit|textrm|mbox|mathrm|mathbf|mathit|operatorname\*?)\s*\{")]
    private static partial Regex TextCommand();

    [GeneratedRegex(@"\G\s*\^\s*\{?\s*[23]\s*\}?")]
    private static partial Regex UnitPower();

    [GeneratedRegex(@"\\frac\s*(\d)\s*(\d)")]
    private static partial Regex FracDigits();

    [GeneratedRegex(@"\\frac\s*\{([^{}]*)\}\s*(\d)")]
    private static partial Regex FracGroupDigit();

    [GeneratedRegex(@"\\frac\s*(\d)\s*\{")]
    private static partial Regex FracDigitGroup();

    [GeneratedRegex(@"\\sqrt\s*(\d|[a-zA-Z](?![a-zA-Z]))")]
    private static partial Regex SqrtToken();

    [GeneratedRegex(@"(?<![\d}a-zA-Z])\.(\d)")]
    private static partial Regex LeadingPoint();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    // Spaces end a command name (\cot x), so only those survive compaction.
    [GeneratedRegex(@"(?<!\\[a-zA-Z]+)\s+")]
    private static partial Regex CompactSpaces();

    [GeneratedRegex(@"^[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")]
    private static partial Regex ThousandsNumber();
}
