using System.Buffers;

namespace QuantReason.Tokenizers;

/// <summary>
/// Finds added tokens written literally in text, leftmost first and longest at a position (as HF's added-vocabulary
/// matcher), and cuts the text into plain segments and token ids.
/// </summary>
public sealed class AddedTokenMatcher
{
    readonly Dictionary<char, AddedToken[]> _byFirstChar;
    readonly SearchValues<char> _firstChars;

    public IReadOnlyList<AddedToken> Tokens { get; }

    public AddedTokenMatcher(IEnumerable<AddedToken> tokens)
    {
        Tokens = tokens.Where(t => t.Content.Length > 0).ToList();
        _byFirstChar = Tokens.GroupBy(t => t.Content[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Content.Length).ToArray());
        _firstChars = SearchValues.Create(_byFirstChar.Keys.ToArray());
    }

    /// <summary>A piece of input: plain text to tokenize, or an added token's id.</summary>
    public readonly record struct Segment(string? Text, int Id);

    /// <summary>Splits <paramref name="text"/>; with <paramref name="includeSpecial"/> false only non-special added tokens match.</summary>
    public List<Segment> Split(string text, bool includeSpecial)
    {
        var result = new List<Segment>();
        if (Tokens.Count == 0) { result.Add(new Segment(text, -1)); return result; }
        var textStart = 0;
        var i = 0;
        while (i < text.Length)
        {
            var hit = text.AsSpan(i).IndexOfAny(_firstChars);
            if (hit < 0) break;
            i += hit;
            AddedToken? match = null;
            foreach (var t in _byFirstChar[text[i]])
            {
                if (!includeSpecial && t.Special) continue;
                if (string.CompareOrdinal(text, i, t.Content, 0, t.Content.Length) == 0) { match = t; break; }
            }
            if (match is null) { i++; continue; }

            var before = text.AsSpan(textStart, i - textStart);
            if (match.LStrip) before = before.TrimEnd();
            if (before.Length > 0) result.Add(new Segment(before.ToString(), -1));
            result.Add(new Segment(null, match.Id));
            i += match.Content.Length;
            if (match.RStrip) while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
            textStart = i;
        }
        if (textStart < text.Length) result.Add(new Segment(text[textStart..], -1));
        return result;
    }
}
