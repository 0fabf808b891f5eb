namespace QuantReason.Data;

/// <summary>
/// The answer box of LaTeX solutions: MATH's gold answer is the last box of its reference solution, and graders read a
/// model's answer the same way, so both the dataset loader and the answer extractor use this one reading.
/// </summary>
public static class LatexBoxes
{
    /// <summary>
    /// Content of the last complete <c>\boxed{…}</c> or <c>\fbox{…}</c>, braces balanced; <c>\boxed 5</c> (no braces)
    /// runs to the next <c>$</c> or line end. An unclosed box (a truncated output) is passed over for an earlier one.
    /// </summary>
    public static string? Last(string text) => LastBox(text, text.Length)?.Content;

    /// <summary>The last complete box that starts before <paramref name="end"/>: where it starts, where it ends, its content.</summary>
    public static (int Start, int End, string Content)? LastBox(string text, int end)
    {
        while (end > 0)
        {
            var at = LastCommand(text, end);
            if (at < 0) return null;
            var length = text.AsSpan(at).StartsWith(@"\boxed") ? 6 : 5;
            if (BoxContent(text, at + length) is { } content) return (at, content.End, content.Text);
            end = at;
        }
        return null;
    }

    static int LastCommand(string text, int end)
    {
        var boxed = end >= 6 ? text.LastIndexOf(@"\boxed", end - 1, StringComparison.Ordinal) : -1;
        var fbox = end >= 5 ? text.LastIndexOf(@"\fbox", end - 1, StringComparison.Ordinal) : -1;
        return Math.Max(boxed, fbox);
    }

    static (string Text, int End)? BoxContent(string text, int i)
    {
        if (i < text.Length && char.IsLetter(text[i])) return null; // \boxedfoo is another command
        var j = i;
        while (j < text.Length && text[j] is ' ' or '\t') j++;
        if (j < text.Length && text[j] == '{')
        {
            var depth = 0;
            for (var k = j; k < text.Length; k++)
            {
                if (text[k] == '\\') { k++; continue; } // an escaped brace \{ does not count
                if (text[k] == '{') depth++;
                else if (text[k] == '}' && --depth == 0) return (text[(j + 1)..k].Trim(), k + 1);
            }
            return null;
        }
        if (j == i) return null; // "\boxed" followed by neither brace nor space
        var stop = text.IndexOfAny(['$', '\n'], j);
        var stopAt = stop < 0 ? text.Length : stop;
        var bare = text[j..stopAt].Trim().TrimEnd('.');
        return bare.Length > 0 ? (bare, stopAt) : null;
    }
}
