using System.Text;
using System.Text.RegularExpressions;

namespace QuantReason.Judging;

/// <summary>
/// Finds the explicit equalities a step states, in reading order. Math spans ($…$, $$…$$, \(…\), \[…\]) are cut into
/// clauses (\\, aligned &amp;, \quad, depth-0 commas, \implies) and each clause into operands at its depth-0 relations; only
/// '=' links are kept, so ≈, ≤, ≡ break a chain rather than being checked. In prose, an equality is a run of digits and
/// operators; its left end may be cut off by words ("20% of 50 = 10"), so a first link is kept only when its left side
/// is a computation and no continuation word ("of", "times", …) precedes it. A division stated with a remainder is skipped.
/// </summary>
public static partial class EqualityExtractor
{
    static readonly HashSet<string> ContinuationWords =
        ["of", "times", "by", "per", "than", "over", "into", "plus", "minus", "divided", "multiplied", "from", "with", "at"];

    static readonly HashSet<string> RelationCommands =
        ["approx", "ne", "neq", "le", "ge", "leq", "geq", "lt", "gt", "equiv", "sim", "simeq", "cong", "propto", "to", "mapsto", "in", "subset", "subseteq"];

    static readonly HashSet<string> ClauseCommands = ["quad", "qquad", "implies", "Rightarrow", "Longrightarrow", "therefore", "iff", "Leftrightarrow"];

    public static IReadOnlyList<StatedEquality> Extract(string step)
    {
        var text = Thousands().Replace(step.Replace('−', '-').Replace('–', '-').Replace("\u00a0", " "), "$1$2");
        var found = new List<StatedEquality>();
        // With \( or \[ delimiters present, a lone $ is money, not math.
        bool singleDollarIsMath = !text.Contains(@"\(", StringComparison.Ordinal) && !text.Contains(@"\[", StringComparison.Ordinal);
        int pos = 0;
        foreach (Match m in MathSpan().Matches(text))
        {
            var body = m.Groups["b"].Value;
            bool single = m.Value.StartsWith('$') && !m.Value.StartsWith("$$", StringComparison.Ordinal);
            // "$5 = $15": money, not math (inline math neither ends in a blank nor runs into a digit)
            bool money = single && (!singleDollarIsMath || ProseWord().IsMatch(TextCommand().Replace(body, "")) || char.IsWhiteSpace(body[^1])
                                    || (m.Index + m.Length < text.Length && char.IsDigit(text[m.Index + m.Length])));
            if (money) continue;
            Prose(text[pos..m.Index], found);
            MathSpanBody(body, found);
            pos = m.Index + m.Length;
        }
        Prose(text[pos..], found);
        return found;
    }

    static void MathSpanBody(string body, List<StatedEquality> found)
    {
        string? previousLast = null;
        foreach (var clause in Clauses(AlignEnvironment().Replace(body, " ").Replace("&", " ")))
        {
            var (operands, relations) = Relations(clause);
            // an aligned line "&= 50 − 15" continues the chain of the line before it
            if (relations.Count > 0 && relations[0] == "=" && operands[0].Trim().Length == 0 && previousLast is not null) operands[0] = previousLast;
            previousLast = operands[^1].Trim().Length > 0 ? operands[^1] : null;
            for (int i = 0; i < relations.Count; i++)
                if (relations[i] == "=" && operands[i].Trim().Length > 0 && operands[i + 1].Trim().Length > 0)
                    found.Add(new StatedEquality(operands[i].Trim(), operands[i + 1].Trim(), InProse: false));
        }
    }

    static void Prose(string text, List<StatedEquality> found)
    {
        // money and "3 x 4" for 3 × 4 only in prose, where they cannot be LaTeX
        text = Currency().Replace(text, "");
        text = TimesLetter().Replace(text, " × ");
        foreach (Match run in ProseRun().Matches(text))
        {
            if (!run.Value.Contains('=') || !run.Value.Any(char.IsDigit)) continue;
            var parts = ProseRelation().Split(run.Value);
            var relations = ProseRelation().Matches(run.Value).Select(r => r.Value).ToList();
            var before = PreviousWord(text, run.Index);
            // a run glued to a letter ("(5x)/5", "x2 = 4") lost part of its end operand
            bool gluedBefore = !char.IsWhiteSpace(run.Value[0]) && run.Index > 0 && char.IsLetter(text[run.Index - 1]);
            bool gluedAfter = !char.IsWhiteSpace(run.Value[^1]) && run.Index + run.Length < text.Length && char.IsLetter(text[run.Index + run.Length]);
            var after = text[(run.Index + run.Length)..];
            for (int i = 0; i < relations.Count; i++)
            {
                if (relations[i] != "=") continue;
                var left = Balance(parts[i]);
                var right = Balance(parts[i + 1]);
                if (left.Length == 0 || right.Length == 0 || SpacedNumbers().IsMatch(left) || SpacedNumbers().IsMatch(right)) continue;
                if (i == 0 && (gluedBefore || !HasOperator(left) || (before is not null && ContinuationWords.Contains(before)))) continue;
                if (i == relations.Count - 1 && Remainder().Match(after) is { Success: true } rem)
                {
                    // a ÷ b = q remainder r is the claim a = b·q + r
                    if (Division().Match(left) is { Success: true } d && int.TryParse(rem.Groups["r"].Value, out var r) && long.TryParse(d.Groups[2].Value, out var b) && r < b)
                        found.Add(new StatedEquality(d.Groups[1].Value, $"{b} \\times {right} + {r}", InProse: true));
                    continue;
                }
                if (i == relations.Count - 1 && gluedAfter) continue;
                // "302/4=76" with nothing after it claims an exact quotient; "1000/3 = 333 people" rounds to whole units
                bool words = i < relations.Count - 1 || WordFollows().IsMatch(after);
                found.Add(new StatedEquality(left, right, InProse: true, words));
            }
        }
    }

    static bool HasOperator(string s) => s.TrimStart('-', '(').IndexOfAny(['+', '-', '*', '/', '×', '÷', '·', '^', '%']) >= 0;

    static string? PreviousWord(string text, int index)
    {
        var m = LastWord().Match(text[..index]);
        return m.Success ? m.Groups[1].Value.ToLowerInvariant() : null;
    }

    /// <summary>Drops parentheses a prose run cut in half: "(6 × 255" → "6 × 255".</summary>
    static string Balance(string s)
    {
        s = s.Trim();
        while (s.Length > 0)
        {
            int open = s.Count(c => c == '('), close = s.Count(c => c == ')');
            if (s[0] == '(' && open > close) s = s[1..].Trim();
            else if (s[^1] == ')' && close > open) s = s[..^1].Trim();
            else break;
        }
        return s;
    }

    /// <summary>Splits a math span at depth-0 line breaks, commas, semicolons and clause commands.</summary>
    static IEnumerable<string> Clauses(string body)
    {
        var current = new StringBuilder();
        int depth = 0;
        for (int i = 0; i < body.Length; i++)
        {
            char c = body[i];
            if (c is '{' or '(' or '[') depth++;
            else if (c is '}' or ')' or ']') depth = Math.Max(0, depth - 1);
            if (depth == 0)
            {
                if (c is ',' or ';' || (c == '\\' && i + 1 < body.Length && body[i + 1] == '\\'))
                {
                    yield return current.ToString();
                    current.Clear();
                    if (c == '\\') i++;
                    continue;
                }
                if (c == '\\' && Command(body, i) is { } name && ClauseCommands.Contains(name))
                {
                    yield return current.ToString();
                    current.Clear();
                    i += name.Length;
                    continue;
                }
            }
            current.Append(c);
        }
        yield return current.ToString();
    }

    /// <summary>A clause's operands and the depth-0 relations between them (relations.Count == operands.Count − 1).</summary>
    static (List<string> Operands, List<string> Relations) Relations(string clause)
    {
        var operands = new List<string>();
        var relations = new List<string>();
        var current = new StringBuilder();
        int depth = 0;
        void Cut(string relation) { operands.Add(current.ToString()); current.Clear(); relations.Add(relation); }
        for (int i = 0; i < clause.Length; i++)
        {
            char c = clause[i];
            if (c is '{' or '(' or '[') depth++;
            else if (c is '}' or ')' or ']') depth = Math.Max(0, depth - 1);
            if (depth == 0)
            {
                if (c == '=') { Cut("="); continue; }
                if (c is '<' or '>' or '≈' or '≠' or '≤' or '≥' or '≡') { Cut(c.ToString()); continue; }
                if (c == '\\' && Command(clause, i) is { } name && RelationCommands.Contains(name))
                {
                    Cut(name);
                    i += name.Length;
                    continue;
                }
            }
            current.Append(c);
        }
        operands.Add(current.ToString());
        // "<=" and ":=" read as one relation, never as an '=' link
        for (int i = 0; i < relations.Count; i++)
            if (relations[i] == "=" && operands[i].TrimEnd() is var l && (l.EndsWith(':') || l.EndsWith('!')))
                relations[i] = ":=";
        for (int i = 1; i < relations.Count; i++)
            if (relations[i] == "=" && operands[i].Trim().Length == 0 && relations[i - 1] != "=") relations[i] = relations[i - 1] + "=";
        return (operands, relations);
    }

    static string? Command(string s, int backslash)
    {
        int j = backslash + 1;
        while (j < s.Length && char.IsAsciiLetter(s[j])) j++;
        return j > backslash + 1 ? s[(backslash + 1)..j] : null;
    }

    [GeneratedRegex(@"\$\$(?<b>.+?)\$\$|\\\[(?<b>.+?)\\\]|\\\((?<b>.+?)\\\)|(?<![\\$])\$(?<b>[^$]+?)(?<!\\)\$", RegexOptions.Singleline)]
    private static partial Regex MathSpan();

    /// <summary>Alignment environments only: a matrix or cases environment stays, so its cells are never read as one product.</summary>
    [GeneratedRegex(@"\\(?:begin|end)\s*\{(?:aligned|align\*?|split|gather\*?|eqnarray\*?)\}")]
    private static partial Regex AlignEnvironment();

    [GeneratedRegex(@"(\d),(\d{3})(?!\d)")]
    private static partial Regex Thousands();

    [GeneratedRegex(@"\\[a-zA-Z]+\s*\{[^{}]*\}")]
    private static partial Regex TextCommand();

    /// <summary>A word of three letters or more that is no LaTeX command: the span is prose between two dollar amounts.</summary>
    [GeneratedRegex(@"(?<![\\a-zA-Z])[a-zA-Z]{3,}")]
    private static partial Regex ProseWord();

    [GeneratedRegex(@"\\?\$(?=\s*\d)")]
    private static partial Regex Currency();

    [GeneratedRegex(@"(?<=\d)\s*[xX]\s*(?=\d)")]
    private static partial Regex TimesLetter();

    /// <summary>Digits, operators, relations, blanks; a point only inside a number, so sentences do not merge.</summary>
    [GeneratedRegex(@"(?:\d|\.(?=\d)|[ \t+\-*/×÷·()%=≈<>^])+")]
    private static partial Regex ProseRun();

    [GeneratedRegex(@"[=≈<>]")]
    private static partial Regex ProseRelation();

    [GeneratedRegex(@"[\d.]\s+[\d(]")]
    private static partial Regex SpacedNumbers();

    [GeneratedRegex(@"([A-Za-z]+)[\s,]*$")]
    private static partial Regex LastWord();

    [GeneratedRegex(@"^\s*(?:,\s*)?(?:with\s+(?:a\s+)?)?(?:remainder|rem\b|r(?=\s*\d))\s*(?:of\s*)?(?<r>\d+)?", RegexOptions.IgnoreCase)]
    private static partial Regex Remainder();

    [GeneratedRegex(@"^\s*[A-Za-z]")]
    private static partial Regex WordFollows();

    [GeneratedRegex(@"^\s*(-?\d+)\s*[/÷]\s*(\d+)\s*$")]
    private static partial Regex Division();
}
