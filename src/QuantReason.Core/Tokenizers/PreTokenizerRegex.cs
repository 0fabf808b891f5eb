using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace QuantReason.Tokenizers;

/// <summary>Where a pattern comes from decides what <c>^</c>/<c>$</c> mean.</summary>
public enum RegexDialect
{
    /// <summary>llama.cpp's std::regex (ECMAScript): <c>$</c> is the end of the piece only.</summary>
    Ecma,
    /// <summary>Hugging Face tokenizers (Oniguruma, Ruby syntax): <c>^</c>/<c>$</c> are line anchors.</summary>
    Oniguruma,
}

/// <summary>
/// A pre-tokenizer pattern written for PCRE/Oniguruma/Rust semantics, translated for .NET and run over code points.
/// <para>
/// Two gaps are closed here. (1) .NET has no possessive quantifiers: <c>X?+ X*+ X++ X{n,m}+</c> become atomic groups
/// <c>(?&gt;X?)</c>, which is their definition. (2) .NET regexes see UTF-16 code units, so an astral letter is two
/// surrogates that match neither <c>\p{L}</c> nor a quantifier counting code points. The text is therefore projected
/// to one UTF-16 unit per code point: every astral code point becomes a private-use stand-in (one per Unicode general
/// category, or one per astral range the pattern names literally) and the pattern's <c>\p{..}</c>, <c>\w</c>, <c>\d</c>
/// and astral ranges are widened to include the stand-ins. Real private-use characters that collide with a stand-in
/// are projected to U+E000, which has the same category. Matches are mapped back to UTF-16 offsets of the input.
/// </para>
/// </summary>
public sealed class PreTokenizerRegex
{
    const char CategoryStandInBase = '\uF8C0'; // + (int)UnicodeCategory (30 categories) → F8C0..F8DD
    const char RangeStandInBase = '\uF880';    // + index of an astral range named in the pattern (at most 64)
    const char CollisionTarget = '\uE000';

    public string Source { get; }
    public string Translated { get; }
    readonly Regex _regex;
    readonly List<(int Lo, int Hi)> _astralRanges = new();

    public PreTokenizerRegex(string pattern, RegexDialect dialect = RegexDialect.Ecma)
    {
        Source = pattern;
        Translated = Translate(pattern, dialect);
        try
        {
            _regex = new Regex(Translated, RegexOptions.Compiled | RegexOptions.CultureInvariant);
        }
        catch (ArgumentException e)
        {
            throw new QuantReasonException($"pre-tokenizer pattern is not supported: {e.Message}", pattern, e);
        }
    }

    /// <summary>Matches of the pattern in <paramref name="text"/> as (start, length) in UTF-16 offsets of the text.</summary>
    public void Matches(string text, List<(int Start, int Length)> output)
    {
        if (!NeedsProjection(text))
        {
            foreach (var m in _regex.EnumerateMatches(text))
                if (m.Length > 0) output.Add((m.Index, m.Length));
            return;
        }
        var (projected, origin) = Project(text);
        foreach (var m in _regex.EnumerateMatches(projected))
        {
            if (m.Length == 0) continue;
            var start = origin[m.Index];
            output.Add((start, origin[m.Index + m.Length] - start));
        }
    }

    static readonly System.Buffers.SearchValues<char> ProjectionTriggers =
        System.Buffers.SearchValues.Create(Enumerable.Range(0xD800, 0x800).Concat(Enumerable.Range(RangeStandInBase, 0xF900 - RangeStandInBase)).Select(c => (char)c).ToArray());

    static bool NeedsProjection(string text) => text.AsSpan().ContainsAny(ProjectionTriggers);

    (string Projected, int[] Origin) Project(string text)
    {
        var sb = new StringBuilder(text.Length);
        var origin = new List<int>(text.Length + 1);
        for (var i = 0; i < text.Length;)
        {
            origin.Add(i);
            if (Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out var used) != System.Buffers.OperationStatus.Done)
            {
                sb.Append(CategoryStandIn(UnicodeCategory.Surrogate)); // lone surrogate: keep one unit, category Cs
                i += 1;
                continue;
            }
            sb.Append(StandIn(rune));
            i += used;
        }
        origin.Add(text.Length);
        return (sb.ToString(), origin.ToArray());
    }

    char StandIn(Rune rune)
    {
        if (rune.IsBmp)
        {
            var c = (char)rune.Value;
            return c is >= RangeStandInBase and <= '\uF8FF' ? CollisionTarget : c;
        }
        for (var k = 0; k < _astralRanges.Count; k++)
            if (rune.Value >= _astralRanges[k].Lo && rune.Value <= _astralRanges[k].Hi) return (char)(RangeStandInBase + k);
        return CategoryStandIn(Rune.GetUnicodeCategory(rune));
    }

    static char CategoryStandIn(UnicodeCategory category) => (char)(CategoryStandInBase + (int)category);

    // ---- translation --------------------------------------------------------------------------------------------

    static readonly Dictionary<string, UnicodeCategory[]> CategoryNames = BuildCategoryNames();

    static Dictionary<string, UnicodeCategory[]> BuildCategoryNames()
    {
        UnicodeCategory[] L = [UnicodeCategory.UppercaseLetter, UnicodeCategory.LowercaseLetter, UnicodeCategory.TitlecaseLetter, UnicodeCategory.ModifierLetter, UnicodeCategory.OtherLetter];
        UnicodeCategory[] M = [UnicodeCategory.NonSpacingMark, UnicodeCategory.SpacingCombiningMark, UnicodeCategory.EnclosingMark];
        UnicodeCategory[] N = [UnicodeCategory.DecimalDigitNumber, UnicodeCategory.LetterNumber, UnicodeCategory.OtherNumber];
        UnicodeCategory[] P = [UnicodeCategory.ConnectorPunctuation, UnicodeCategory.DashPunctuation, UnicodeCategory.OpenPunctuation, UnicodeCategory.ClosePunctuation, UnicodeCategory.InitialQuotePunctuation, UnicodeCategory.FinalQuotePunctuation, UnicodeCategory.OtherPunctuation];
        UnicodeCategory[] S = [UnicodeCategory.MathSymbol, UnicodeCategory.CurrencySymbol, UnicodeCategory.ModifierSymbol, UnicodeCategory.OtherSymbol];
        UnicodeCategory[] Z = [UnicodeCategory.SpaceSeparator, UnicodeCategory.LineSeparator, UnicodeCategory.ParagraphSeparator];
        UnicodeCategory[] C = [UnicodeCategory.Control, UnicodeCategory.Format, UnicodeCategory.Surrogate, UnicodeCategory.PrivateUse, UnicodeCategory.OtherNotAssigned];
        return new()
        {
            ["L"] = L, ["M"] = M, ["N"] = N, ["P"] = P, ["S"] = S, ["Z"] = Z, ["C"] = C,
            ["Lu"] = [UnicodeCategory.UppercaseLetter], ["Ll"] = [UnicodeCategory.LowercaseLetter],
            ["Lt"] = [UnicodeCategory.TitlecaseLetter], ["Lm"] = [UnicodeCategory.ModifierLetter],
            ["Lo"] = [UnicodeCategory.OtherLetter], ["Mn"] = [UnicodeCategory.NonSpacingMark],
            ["Mc"] = [UnicodeCategory.SpacingCombiningMark], ["Me"] = [UnicodeCategory.EnclosingMark],
            ["Nd"] = [UnicodeCategory.DecimalDigitNumber], ["Nl"] = [UnicodeCategory.LetterNumber],
            ["No"] = [UnicodeCategory.OtherNumber], ["Pc"] = [UnicodeCategory.ConnectorPunctuation],
            ["Pd"] = [UnicodeCategory.DashPunctuation], ["Ps"] = [UnicodeCategory.OpenPunctuation],
            ["Pe"] = [UnicodeCategory.ClosePunctuation], ["Pi"] = [UnicodeCategory.InitialQuotePunctuation],
            ["Pf"] = [UnicodeCategory.FinalQuotePunctuation], ["Po"] = [UnicodeCategory.OtherPunctuation],
            ["Sm"] = [UnicodeCategory.MathSymbol], ["Sc"] = [UnicodeCategory.CurrencySymbol],
            ["Sk"] = [UnicodeCategory.ModifierSymbol], ["So"] = [UnicodeCategory.OtherSymbol],
            ["Zs"] = [UnicodeCategory.SpaceSeparator], ["Zl"] = [UnicodeCategory.LineSeparator],
            ["Zp"] = [UnicodeCategory.ParagraphSeparator], ["Cc"] = [UnicodeCategory.Control],
            ["Cf"] = [UnicodeCategory.Format], ["Co"] = [UnicodeCategory.PrivateUse],
            ["Cn"] = [UnicodeCategory.OtherNotAssigned],
        };
    }

    static string StandIns(IEnumerable<UnicodeCategory> categories) =>
        string.Concat(categories.Select(c => $"\\u{(int)CategoryStandIn(c):X4}"));

    static UnicodeCategory[] WordCategories =>
        [.. CategoryNames["L"], UnicodeCategory.NonSpacingMark, UnicodeCategory.DecimalDigitNumber, UnicodeCategory.ConnectorPunctuation];

    string Translate(string p, RegexDialect dialect)
    {
        var sb = new StringBuilder(p.Length + 16);
        var groupStarts = new Stack<int>();
        var lastAtom = -1;   // output index where the last complete atom starts
        var inClass = false;
        var afterQuantifier = false; // the previous token was a quantifier, so a '+' now makes it possessive
        var i = 0;
        while (i < p.Length)
        {
            var c = p[i];
            var wasQuantifier = afterQuantifier;
            afterQuantifier = false;
            if (inClass)
            {
                if (c == ']' ) { sb.Append(c); inClass = false; i++; continue; }
                i = TranslateClassItem(p, i, sb);
                continue;
            }

            // Possessive quantifier: the '+' after a quantifier makes the preceding atom+quantifier atomic.
            if (c == '+' && wasQuantifier && lastAtom >= 0)
            {
                sb.Insert(lastAtom, "(?>");
                sb.Append(')');
                i++;
                continue;
            }

            switch (c)
            {
                case '\\':
                {
                    lastAtom = sb.Length;
                    i = TranslateEscape(p, i, sb, inClass: false);
                    break;
                }
                case '[':
                {
                    lastAtom = sb.Length;
                    sb.Append('[');
                    i++;
                    if (i < p.Length && p[i] == '^') { sb.Append('^'); i++; }
                    if (i < p.Length && p[i] == ']') { sb.Append("\\]"); i++; } // a leading ']' is literal
                    inClass = true;
                    break;
                }
                case '(':
                    groupStarts.Push(sb.Length);
                    sb.Append(c);
                    i++;
                    if (i < p.Length && p[i] == '?') { sb.Append('?'); i++; } // group syntax, not a quantifier
                    break;
                case ')':
                    lastAtom = groupStarts.Count > 0 ? groupStarts.Pop() : -1;
                    sb.Append(c);
                    i++;
                    break;
                case '$':
                    sb.Append(dialect == RegexDialect.Ecma ? "\\z" : "(?=\\n|\\z)");
                    i++;
                    break;
                case '^':
                    sb.Append(dialect == RegexDialect.Ecma ? "\\A" : "(?<=\\A|\\n)");
                    i++;
                    break;
                case '?' or '*' or '+':
                    sb.Append(c);
                    i++;
                    afterQuantifier = !wasQuantifier; // "x+?" is lazy: the '?' is part of the quantifier, not a new one
                    break;
                case '{':
                {
                    var close = p.IndexOf('}', i);
                    if (close < 0) { sb.Append("\\{"); i++; break; }
                    sb.Append(p, i, close - i + 1);
                    i = close + 1;
                    afterQuantifier = true;
                    break;
                }
                default:
                    lastAtom = sb.Length;
                    if (char.IsHighSurrogate(c) && i + 1 < p.Length)
                    {
                        var cp = char.ConvertToUtf32(c, p[i + 1]);
                        sb.Append($"\\u{(int)RangeStandIn(cp, cp):X4}");
                        i += 2;
                    }
                    else
                    {
                        sb.Append(c);
                        i++;
                    }
                    break;
            }
        }
        if (inClass) throw new QuantReasonException("unterminated character class", p);
        return sb.ToString();
    }

    char RangeStandIn(int lo, int hi)
    {
        var k = _astralRanges.IndexOf((lo, hi));
        if (k < 0)
        {
            if (_astralRanges.Count >= CategoryStandInBase - RangeStandInBase)
                throw new QuantReasonException("too many astral ranges in pre-tokenizer pattern", Source);
            _astralRanges.Add((lo, hi));
            k = _astralRanges.Count - 1;
        }
        return (char)(RangeStandInBase + k);
    }

    /// <summary>Translates one escape at p[i] ('\'); returns the index after it.</summary>
    int TranslateEscape(string p, int i, StringBuilder sb, bool inClass)
    {
        if (i + 1 >= p.Length) throw new QuantReasonException("pattern ends with a backslash", p);
        var e = p[i + 1];
        switch (e)
        {
            case 'p' or 'P':
            {
                string name;
                int next;
                if (i + 2 < p.Length && p[i + 2] == '{')
                {
                    var close = p.IndexOf('}', i + 3);
                    if (close < 0) throw new QuantReasonException("unterminated \\p{...}", p);
                    name = p.Substring(i + 3, close - i - 3);
                    next = close + 1;
                }
                else
                {
                    name = p[i + 2].ToString();
                    next = i + 3;
                }
                if (!CategoryNames.TryGetValue(name, out var cats))
                    throw new QuantReasonException($"unsupported Unicode property \\{e}{{{name}}} (general categories only)", p);
                var stand = StandIns(cats);
                if (e == 'p') sb.Append(inClass ? $"\\p{{{name}}}{stand}" : $"[\\p{{{name}}}{stand}]");
                else if (!inClass) sb.Append($"[^\\p{{{name}}}{stand}]");
                else throw new QuantReasonException($"negated property \\P{{{name}}} inside a character class is not supported", p);
                return next;
            }
            case 'w' or 'W' or 'd' or 'D':
            {
                var cats = char.ToLowerInvariant(e) == 'w' ? WordCategories : [UnicodeCategory.DecimalDigitNumber];
                var stand = StandIns(cats);
                var baseClass = char.ToLowerInvariant(e) == 'w' ? "\\w" : "\\d";
                if (char.IsLower(e)) sb.Append(inClass ? baseClass + stand : $"[{baseClass}{stand}]");
                else if (!inClass) sb.Append($"[^{baseClass}{stand}]");
                else throw new QuantReasonException($"\\{e} inside a character class is not supported", p);
                return i + 2;
            }
            case 'x' when i + 2 < p.Length && p[i + 2] == '{':
            {
                var close = p.IndexOf('}', i + 3);
                var cp = Convert.ToInt32(p.Substring(i + 3, close - i - 3), 16);
                AppendCodePoint(sb, cp);
                return close + 1;
            }
            case 'h':
                sb.Append(inClass ? "\\t\\p{Zs}" : "[\\t\\p{Zs}]"); // PCRE/Oniguruma horizontal space
                return i + 2;
            default:
                sb.Append(p, i, 2);
                return i + 2;
        }
    }

    void AppendCodePoint(StringBuilder sb, int cp)
    {
        if (cp > 0xFFFF) sb.Append($"\\u{(int)RangeStandIn(cp, cp):X4}");
        else sb.Append($"\\u{cp:X4}");
    }

    /// <summary>One item of a character class at p[i]: an escape, a literal or a range; returns the index after it.</summary>
    int TranslateClassItem(string p, int i, StringBuilder sb)
    {
        if (p[i] == '\\' && i + 1 < p.Length && p[i + 1] is 'p' or 'P' or 'w' or 'W' or 'd' or 'D' or 'h')
            return TranslateEscape(p, i, sb, inClass: true);
        var (lo, next) = ReadClassChar(p, i);
        if (lo < 0) { sb.Append(p, i, next - i); return next; } // an escape like \s, \r, \] stays as written
        if (next + 1 < p.Length && p[next] == '-' && p[next + 1] != ']')
        {
            var (hi, after) = ReadClassChar(p, next + 1);
            if (hi < 0) throw new QuantReasonException("character class range ends in a class escape", p);
            if (lo <= 0xFFFF && hi <= 0xFFFF) sb.Append($"\\u{lo:X4}-\\u{hi:X4}");
            else if (lo > 0xFFFF) sb.Append($"\\u{(int)RangeStandIn(lo, hi):X4}");
            else
            {
                sb.Append($"\\u{lo:X4}-\\uFFFF");
                sb.Append($"\\u{(int)RangeStandIn(0x10000, hi):X4}");
            }
            return after;
        }
        if (lo > 0xFFFF) sb.Append($"\\u{(int)RangeStandIn(lo, lo):X4}");
        else sb.Append($"\\u{lo:X4}");
        return next;
    }

    /// <summary>A single class member as a code point, or -1 for a class escape such as \s that has no code point.</summary>
    static (int CodePoint, int Next) ReadClassChar(string p, int i)
    {
        var c = p[i];
        if (c == '\\')
        {
            if (i + 1 >= p.Length) throw new QuantReasonException("pattern ends with a backslash", p);
            var e = p[i + 1];
            switch (e)
            {
                case 'n': return ('\n', i + 2);
                case 'r': return ('\r', i + 2);
                case 't': return ('\t', i + 2);
                case 'f': return ('\f', i + 2);
                case 'v': return ('\v', i + 2);
                case 'x' when i + 2 < p.Length && p[i + 2] == '{':
                {
                    var close = p.IndexOf('}', i + 3);
                    return (Convert.ToInt32(p.Substring(i + 3, close - i - 3), 16), close + 1);
                }
                case 'x': return (Convert.ToInt32(p.Substring(i + 2, 2), 16), i + 4);
                case 'u': return (Convert.ToInt32(p.Substring(i + 2, 4), 16), i + 6);
                case 's' or 'S' or 'b' or 'B': return (-1, i + 2);
                default:
                    if (char.IsLetterOrDigit(e)) return (-1, i + 2);
                    return (e, i + 2);
            }
        }
        if (char.IsHighSurrogate(c) && i + 1 < p.Length) return (char.ConvertToUtf32(c, p[i + 1]), i + 2);
        return (c, i + 1);
    }
}
