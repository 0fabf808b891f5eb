namespace QuantReason.Tokenizers;

/// <summary>One stage of pre-tokenization: splits each piece further. Stages run in order over every piece.</summary>
public abstract record PreTokenizerStep
{
    /// <param name="isFirst">The piece starts the whole input (not a segment after an added token).</param>
    public abstract void Split(string piece, List<string> output, bool isFirst);
}

/// <summary>Split on a pattern (llama.cpp regex lists, HF <c>Split</c>, <c>Digits</c>, <c>Punctuation</c>, <c>ByteLevel</c>'s regex).</summary>
public sealed record RegexSplitStep(PreTokenizerRegex Pattern, SplitBehavior Behavior = SplitBehavior.Isolated, bool Invert = false)
    : PreTokenizerStep
{
    [ThreadStatic] static List<(int Start, int Length)>? t_matches;
    [ThreadStatic] static List<(int Start, int Length, bool Delimiter)>? t_segments;

    public override void Split(string piece, List<string> output, bool isFirst)
    {
        var matches = t_matches ??= new();
        matches.Clear();
        Pattern.Matches(piece, matches);
        if (Behavior == SplitBehavior.Isolated && matches.Count == 1 && matches[0].Length == piece.Length)
        {
            output.Add(piece); // the common case after an earlier split: the piece is one match
            return;
        }
        // Segments over the whole piece, each flagged as delimiter or not; 'Invert' swaps the roles.
        var segments = t_segments ??= new();
        segments.Clear();
        var pos = 0;
        foreach (var (s, l) in matches)
        {
            if (s > pos) segments.Add((pos, s - pos, Invert));
            segments.Add((s, l, !Invert));
            pos = s + l;
        }
        if (pos < piece.Length) segments.Add((pos, piece.Length - pos, Invert));

        switch (Behavior)
        {
            case SplitBehavior.Isolated:
                foreach (var (s, l, _) in segments) output.Add(piece.Substring(s, l));
                break;
            case SplitBehavior.Removed:
                foreach (var (s, l, d) in segments) if (!d) output.Add(piece.Substring(s, l));
                break;
            case SplitBehavior.MergedWithPrevious:
            {
                var start = 0;
                foreach (var (s, l, d) in segments)
                    if (d) { output.Add(piece.Substring(start, s + l - start)); start = s + l; }
                if (start < piece.Length) output.Add(piece[start..]);
                break;
            }
            case SplitBehavior.MergedWithNext:
            {
                var start = 0;
                foreach (var (s, _, d) in segments)
                    if (d && s > start) { output.Add(piece.Substring(start, s - start)); start = s; }
                if (start < piece.Length) output.Add(piece[start..]);
                break;
            }
            case SplitBehavior.Contiguous:
            {
                var i = 0;
                while (i < segments.Count)
                {
                    var (s, l, d) = segments[i];
                    var end = s + l;
                    while (d && i + 1 < segments.Count && segments[i + 1].Delimiter) { i++; end = segments[i].Start + segments[i].Length; }
                    output.Add(piece.Substring(s, end - s));
                    i++;
                }
                break;
            }
        }
    }
}

/// <summary>
/// HF <c>Metaspace</c>: spaces become <see cref="Replacement"/> (▁), a ▁ is prepended to the first piece (scheme
/// "first") or every piece ("always") unless it already starts with one, and with <see cref="SplitPieces"/> the text
/// is cut before every ▁.
/// </summary>
public sealed record MetaspaceStep(char Replacement, MetaspacePrepend Prepend, bool SplitPieces) : PreTokenizerStep
{
    public override void Split(string piece, List<string> output, bool isFirst)
    {
        var text = piece.Replace(' ', Replacement);
        if ((Prepend == MetaspacePrepend.Always || Prepend == MetaspacePrepend.First && isFirst) && text.Length > 0 && text[0] != Replacement) text = Replacement + text;
        if (!SplitPieces) { output.Add(text); return; }
        var start = 0;
        for (var i = 1; i < text.Length; i++)
            if (text[i] == Replacement) { output.Add(text[start..i]); start = i; }
        if (start < text.Length) output.Add(text[start..]);
    }
}

public enum MetaspacePrepend { Always, First, Never }

/// <summary>HF <c>ByteLevel(add_prefix_space=true)</c>: a space before text that does not already start with one.</summary>
public sealed record PrefixSpaceStep : PreTokenizerStep
{
    public override void Split(string piece, List<string> output, bool isFirst) =>
        output.Add(piece.Length > 0 && piece[0] != ' ' ? " " + piece : piece);
}
