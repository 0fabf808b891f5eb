using QuantReason.Data;
using System.Text.RegularExpressions;

namespace QuantReason.Evaluation;

/// <summary>
/// Pulls the final answer out of a model's output. Rules are tried from the most explicit to the least, and the first
/// that matches wins: the last <c>\boxed{}</c>/<c>\fbox{}</c> (brace-balanced, or <c>\boxed 5</c>), Minerva's
/// "Final Answer: The final answer is X. I hope it is correct.", "The answer is X", GSM8K's "#### N", the last LaTeX
/// math segment when nothing numeric follows it (a model that states "is \(-rac{2\sqrt3}{3}\)." without boxing), and
/// finally the last number in the text. Within a rule the LAST occurrence wins, because models restate and correct themselves.
/// </summary>
public static partial class AnswerExtractor
{
    public static Extraction Extract(string output)
    {
        if (LastBoxed(output) is { } boxed) return new Extraction(boxed, ExtractionRule.Boxed);
        if (LastMatch(MinervaRegex(), output) is { } minerva) return new Extraction(CleanSentence(minerva), ExtractionRule.Minerva);
        if (LastMatch(TheAnswerIsRegex(), output) is { } said && CleanSentence(said) is { Length: > 0 } s)
            return new Extraction(s, ExtractionRule.TheAnswerIs);
        if (LastMatch(HashRegex(), output) is { } hash && hash.Trim() is { Length: > 0 } h)
            return new Extraction(h, ExtractionRule.Gsm8kHash);
        if (LastMath(output) is { } math) return new Extraction(math, ExtractionRule.LastMath);
        if (LastNumber(output) is { } number) return new Extraction(number, ExtractionRule.LastNumber);
        return Extraction.None;
    }

    /// <summary>Content of the last complete <c>\boxed{…}</c> or <c>\fbox{…}</c> (see <see cref="LatexBoxes.Last"/>).</summary>
    public static string? LastBoxed(string text) => LatexBoxes.Last(text);

    /// <summary>
    /// Content of the last \(…\), \[…\], $$…$$ or $…$ segment, provided no digit follows it (else the text went on to
    /// another value). Single-dollar segments count only with a LaTeX command inside, so currency ("$5 and $7") is not math.
    /// </summary>
    public static string? LastMath(string text)
    {
        Match? last = null;
        foreach (Match m in MathSegmentRegex().Matches(text))
        {
            if (m.Groups["d"].Success && !m.Groups["d"].Value.Contains('\\')) continue;
            // A lone name such as \(C\) or \(f(x)\) refers back to something; it is not a stated answer.
            if (MentionRegex().IsMatch(m.Groups.Values.Skip(1).First(g => g.Success).Value)) continue;
            last = m;
        }
        if (last is null) return null;
        if (text.AsSpan(last.Index + last.Length).IndexOfAnyInRange('0', '9') >= 0) return null;
        var content = last.Groups.Values.Skip(1).First(g => g.Success).Value.Trim().TrimEnd('.', ',', ';', ' ').Trim();
        return content.Length > 0 ? content : null;
    }

    /// <summary>The last number (integer, decimal, comma-grouped or a/b fraction) in the text, sign included.</summary>
    public static string? LastNumber(string text)
    {
        var m = NumberRegex().Matches(text);
        return m.Count == 0 ? null : m[^1].Value;
    }

    static string? LastMatch(Regex regex, string text)
    {
        var m = regex.Matches(text);
        return m.Count == 0 ? null : m[^1].Groups["a"].Value;
    }

    /// <summary>Drops math delimiters and the sentence's closing period ("is $\frac12$." → "\frac12").</summary>
    static string CleanSentence(string s)
    {
        s = s.Trim();
        for (var changed = true; changed;)
        {
            var before = s;
            s = s.TrimEnd('.', ' ', '\t').Trim();
            if (s.StartsWith("$$", StringComparison.Ordinal) && s.EndsWith("$$", StringComparison.Ordinal) && s.Length >= 4) s = s[2..^2];
            else if (s.StartsWith('$') && s.EndsWith('$') && s.Length >= 2) s = s[1..^1];
            else if (s.StartsWith(@"\(", StringComparison.Ordinal) && s.EndsWith(@"\)", StringComparison.Ordinal)) s = s[2..^2];
            else if (s.StartsWith(@"\[", StringComparison.Ordinal) && s.EndsWith(@"\]", StringComparison.Ordinal)) s = s[2..^2];
            s = s.Trim();
            changed = s != before;
        }
        return s;
    }

    [GeneratedRegex(@"Final Answer:\s*The final answer is\s*(?<a>.*?)\.?\s*I hope it is correct", RegexOptions.Singleline)]
    private static partial Regex MinervaRegex();

    // The answer runs to the end of its sentence: a period followed by space or end, or a line break.
    [GeneratedRegex(@"[Tt]he (?:final )?answer is[:\s]*(?<a>(?:[^\n.]|\.(?=\S))+)")]
    private static partial Regex TheAnswerIsRegex();

    [GeneratedRegex(@"\\\((?<p>.+?)\\\)|\\\[(?<b>.+?)\\\]|\$\$(?<dd>.+?)\$\$|(?<!\$)\$(?<d>[^$\n]+?)\$(?!\$)", RegexOptions.Singleline)]
    private static partial Regex MathSegmentRegex();

    [GeneratedRegex(@"^\s*(?:[A-Za-z]|\\[A-Za-z]+)(?:_\{?\w+\}?)?(?:\([a-z]\))?\s*$")]
    private static partial Regex MentionRegex();

    [GeneratedRegex(@"####\s*(?<a>[^\n]*)")]
    private static partial Regex HashRegex();

    [GeneratedRegex(@"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:/\d+)?|-?\.\d+")]
    private static partial Regex NumberRegex();
}
