namespace QuantReason.Evaluation.Equivalence;

internal enum LatexTokenKind { Number, Letter, Command, Symbol }

/// <summary>One lexical unit of a LaTeX answer: a number literal, a single letter, a \command (name without the
/// backslash; escaped symbols like \{ keep the symbol as name), or a one-character symbol.</summary>
internal sealed record LatexToken(LatexTokenKind Kind, string Text)
{
    public bool Is(LatexTokenKind kind, string text) => Kind == kind && Text == text;
    public bool IsSymbol(char c) => Kind == LatexTokenKind.Symbol && Text.Length == 1 && Text[0] == c;
    public bool IsCommand(string name) => Kind == LatexTokenKind.Command && Text == name;
    public override string ToString() => Kind == LatexTokenKind.Command ? "\\" + Text : Text;
}

internal static class LatexLexer
{
    public static List<LatexToken> Tokenize(string s)
    {
        var tokens = new List<LatexToken>();
        var i = 0;
        while (i < s.Length)
        {
            var c = s[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (char.IsAsciiDigit(c) || c == '.' && i + 1 < s.Length && char.IsAsciiDigit(s[i + 1]))
            {
                var start = i;
                while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
                if (i < s.Length && s[i] == '.')
                {
                    if (i + 1 < s.Length && char.IsAsciiDigit(s[i + 1]))
                    {
                        i++;
                        while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
                    }
                    else if (s.AsSpan(i + 1).StartsWith(@"\overline")) i++; // "0.\overline{3}"
                }
                // Scientific notation only when digits follow the E, so "2e" stays 2·e.
                if (i + 1 < s.Length && s[i] is 'e' or 'E')
                {
                    var j = i + 1;
                    if (j < s.Length && s[j] is '+' or '-') j++;
                    if (j < s.Length && char.IsAsciiDigit(s[j]))
                    {
                        i = j;
                        while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
                    }
                }
                tokens.Add(new(LatexTokenKind.Number, s[start..i]));
                continue;
            }
            if (c == '\\')
            {
                if (i + 1 < s.Length && char.IsAsciiLetter(s[i + 1]))
                {
                    var start = ++i;
                    while (i < s.Length && char.IsAsciiLetter(s[i])) i++;
                    tokens.Add(new(LatexTokenKind.Command, s[start..i]));
                }
                else if (i + 1 < s.Length)
                {
                    tokens.Add(new(LatexTokenKind.Command, s[i + 1].ToString()));
                    i += 2;
                }
                else i++;
                continue;
            }
            tokens.Add(char.IsLetter(c) ? new(LatexTokenKind.Letter, c.ToString()) : new(LatexTokenKind.Symbol, c.ToString()));
            i++;
        }
        return tokens;
    }
}
