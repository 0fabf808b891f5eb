using QuantReason.Data;
using System.Text.RegularExpressions;
using QuantReason.Evaluation.Equivalence;

namespace QuantReason.Evaluation;

/// <summary>
/// Pulls the final answer out of a model's output or a gold field. Rules are tried from the most explicit to the least,
/// and the first that matches wins: the last <c>\boxed{}</c>/<c>\fbox{}</c> (brace-balanced, or <c>\boxed 5</c>; boxes
/// joined only by "and", "or", commas or labels are one answer spread over several), Minerva's "Final Answer: The final
/// answer is X. I hope it is correct.", "The answer is X", GSM8K's "#### N", the whole text when it is already a clean
/// answer (one short line, no prose, understood by <see cref="AnswerParser"/>: <c>(4,1)</c>, <c>(0,2]</c>, <c>x = 3</c>),
/// the last LaTeX math segment when nothing numeric follows it, the last value in the text (a number, or a numeric
/// tuple/interval, clock time or "-3 or 4" list ending the text kept whole), and finally a short number-free line as it stands (<c>\overline{CD}</c>,
/// "east"). Within a rule the LAST occurrence wins, because models restate and correct themselves.
/// </summary>
public static partial class AnswerExtractor
{
    const int WholeAnswerMaxLength = 200;

    public static Extraction Extract(string output)
    {
        output = LatexNormalizer.UndoubleBackslashes(output);
        if (JoinedBoxes(output) is { } boxed) return new Extraction(boxed, ExtractionRule.Boxed);
        // A box opened and never closed is an answer cut off mid-way (a truncated output): whatever number precedes
        // the cut is not the answer.
        if (output.Contains(@"\boxed{", StringComparison.Ordinal)) return Extraction.None;
        if (LastMatch(MinervaRegex(), output) is { } minerva) return new Extraction(CleanSentence(minerva), ExtractionRule.Minerva);
        if (LastMatch(TheAnswerIsRegex(), output) is { } said && CleanSentence(said) is { Length: > 0 } s)
            return new Extraction(s, ExtractionRule.TheAnswerIs);
        if (LastMatch(HashRegex(), output) is { } hash && hash.Trim() is { Length: > 0 } h)
            return new Extraction(h, ExtractionRule.Gsm8kHash);
        if (WholeAnswer(output) is { } whole) return new Extraction(whole, ExtractionRule.Whole);
        if (LastMath(output) is { } math) return new Extraction(math, ExtractionRule.LastMath);
        if (LastNumber(output) is { } number) return new Extraction(number, ExtractionRule.LastNumber);
        if (NumberFreeLine(output) is { } line) return new Extraction(line, ExtractionRule.Whole);
        return Extraction.None;
    }

    /// <summary>
    /// The last box, preceded by the boxes that are parts of the same answer: consecutive boxes whose gap holds only
    /// connectives ("and", "or", commas, semicolons, math delimiters, labels such as "y ="), joined with commas.
    /// A gap with any other word ("first \boxed{1}, corrected: \boxed{2}") ends the answer at the later box.
    /// </summary>
    public static string? JoinedBoxes(string text)
    {
        var boxes = new List<(int Start, int End, string Content)>();
        var end = text.Length;
        while (end > 0 && LatexBoxes.LastBox(text, end) is { } box)
        {
            end = box.Start;
            if (boxes.Count > 0 && box.End > boxes[^1].Start) continue; // a box around the later one: \boxed{x = \boxed{5}}
            if (boxes.Count > 0 && !BoxGapRegex().IsMatch(text[box.End..boxes[^1].Start])) break;
            // The same answer boxed twice in a row is restated, not a second part.
            if (boxes.Count == 0 || box.Content != boxes[^1].Content) boxes.Add(box);
        }
        if (boxes.Count == 0) return null;
        boxes.Reverse();
        return string.Join(", ", boxes.Select(b => b.Content));
    }

    /// <summary>The whole text when it is a clean answer: one short line with no prose that the parser understands.</summary>
    static string? WholeAnswer(string text)
    {
        var t = CleanSentence(text);
        if (t.Length is 0 or > WholeAnswerMaxLength || t.Contains('\n') || LabelPrefixRegex().IsMatch(t) || HasProse(t)) return null;
        return AnswerParser.Parse(t).IsRecognised ? t : null;
    }

    /// <summary>A short line without digits that is not a sentence: an answer in words or unparsed notation, kept as it stands.</summary>
    static string? NumberFreeLine(string text)
    {
        var t = text.Trim();
        if (t.Length is 0 or > WholeAnswerMaxLength || t.Contains('\n') || t[^1] is '.' or '!' or '?') return null;
        if (t.AsSpan().IndexOfAnyInRange('0', '9') >= 0) return null;
        var clean = CleanSentence(t);
        return clean.Length > 0 ? clean : null;
    }

    /// <summary>English words outside LaTeX commands and \text{}: a sentence, not a bare answer. Short runs of letters
    /// (xy, abc, PQ) are products or names of quantities, so only stop words and lower-case runs of four or more count.</summary>
    internal static bool HasProse(string text)
    {
        var bare = CommandRegex().Replace(TextGroupRegex().Replace(text, " "), " ");
        foreach (Match m in ProseRegex().Matches(bare))
            if (!LatexNormalizer.IsUnitWord(m.Value)) return true;
        return false;
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

    /// <summary>The last number (integer, decimal, comma-grouped or a/b fraction) in the text, sign included; a numeric
    /// tuple or interval ("(4, 1)", "(0, 2]") or a clock time ("3:30", "9:05 p.m.") there is kept whole.</summary>
    public static string? LastNumber(string text)
    {
        var m = ValueRegex().Matches(text);
        return m.Count == 0 ? null : m[^1].Value.Trim();
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

    const string Number = @"-?(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?(?:/\d+)?|-?\.\d+";
    const string Bound = @"\s*(?:-?\\infty|-?\d+(?:\.\d+)?(?:/\d+)?)\s*";

    // A bracketed list of plain numbers (a point or an interval), a clock time, a list of numbers ending a sentence
    // ("-3 or 4.", "1, 2, and 5"), or a number, whichever comes last.
    [GeneratedRegex(@"[(\[]" + Bound + "(?:," + Bound + @")+[)\]]|(?<![\d:])\d{1,2}:[0-5]\d(?![\d:])(?:\s*[aApP]\.?\s?[mM]\b\.?)?|"
                    + "(?:" + Number + @")(?:\s*,\s*(?:" + Number + @"))*,?\s+(?:or|and)\s+(?:" + Number + @")(?=\s*[.!]?\s*$)|" + Number)]
    private static partial Regex ValueRegex();

    // What may stand between two boxes of one answer: delimiters, punctuation, spacing, "and"/"or", and labels like "y =".
    [GeneratedRegex(@"^(?:\s|[$,;&.:]|\\[()\[\]]|\\\\|\\q?quad|\\text\{\s*(?:and|or)?\s*\}|\b(?:and|or)\b|\\?[A-Za-z]+(?:_\{?\w+\}?)?\s*=)*$")]
    private static partial Regex BoxGapRegex();

    // "A: 1,234": a line that names what follows, so the text is not itself the answer.
    [GeneratedRegex(@"^\s*[A-Za-z]+\s*:\s")]
    private static partial Regex LabelPrefixRegex();

    [GeneratedRegex(@"\\(?:text|textbf|textit|textrm|mbox|mathrm|operatorname|begin|end)\s*\{[^{}]*\}")]
    private static partial Regex TextGroupRegex();

    [GeneratedRegex(@"\\[A-Za-z]+")]
    private static partial Regex CommandRegex();

    // Stop words count only standing alone between spaces, since "at^2" or "be" in a formula are products of variables;
    // "and"/"or" are not among them: between values they list one answer ("x = 3 and x = 5").
    [GeneratedRegex(@"(?<![A-Za-z])[a-z]{4,}|(?<=^|\s)(?:[Tt]he|[Ii]s|[Ss]o|[Ww]e|[Ii]t|[Ii]f|[Oo]f|[Tt]o|[Bb]e|[Aa]re|[Hh]as|[Ff]or|[Bb]y|[Aa]n|[Aa]s|[Aa]t|[Oo]n|[Ii]n|[Nn]ot|[Ss]he|[Hh]e|[Gg]et|[Oo]ur|[Aa]ll|[Aa]ny|[Cc]an|[Ww]as|[Yy]es|[Nn]o)(?=\s)")]
    private static partial Regex ProseRegex();
}
