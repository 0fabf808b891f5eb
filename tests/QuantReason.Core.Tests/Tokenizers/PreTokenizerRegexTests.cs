using QuantReason.Tokenizers;

namespace QuantReason.Tests.Tokenizers;

public class PreTokenizerRegexTests
{
    static List<string> Matches(string pattern, string text, RegexDialect dialect = RegexDialect.Ecma)
    {
        var found = new List<(int Start, int Length)>();
        new PreTokenizerRegex(pattern, dialect).Matches(text, found);
        return found.Select(m => text.Substring(m.Start, m.Length)).ToList();
    }

    [Fact]
    public void Possessive_quantifiers_become_atomic_groups_and_do_not_give_back()
    {
        Assert.Contains("(?>", new PreTokenizerRegex("a++a").Translated);
        Assert.Empty(Matches("a++a", "aaaa"));   // possessive: a++ takes every a, nothing is left for the final a
        Assert.Equal(["aaaa"], Matches("a+a", "aaaa"));
        Assert.Empty(Matches("x?+x", "x"));
        Assert.Equal(["ab"], Matches("[ab]*+", "ab"));
        Assert.Equal(["aa"], Matches("a{1,2}+", "aa"));
        // Lazy quantifiers and groups are not mistaken for possessive ones.
        Assert.Equal(["a", "a"], Matches("a+?", "aa"));
        Assert.Equal(["'S"], Matches("(?i:'s|'t)", "'S"));
    }

    [Fact]
    public void Bailingmoe_possessive_pattern_splits_like_its_greedy_rewrite_on_ordinary_text()
    {
        Assert.True(PreTokenizerTable.TryGet("bailingmoe", out var spec));
        const string greedy = @"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+";
        const string text = "Hello, y'all! 1234 apples...\n\n  (x+y)^2 = ?\t\tDone!!";
        Assert.Equal(Matches(greedy, text), Matches(spec.Patterns[0], text));
    }

    [Fact]
    public void Astral_letters_and_digits_count_as_one_code_point_of_their_category()
    {
        // U+1D400 (MATHEMATICAL BOLD CAPITAL A) is a letter; .NET alone would see two surrogates that are not \p{L}.
        Assert.Equal(["a𝐀b"], Matches(@"\p{L}+", "a𝐀b"));
        // U+1D7CF.. are decimal digits; {1,3} counts code points, not UTF-16 units.
        Assert.Equal(["𝟏𝟐𝟑", "𝟒"], Matches(@"\p{N}{1,3}", "𝟏𝟐𝟑𝟒"));
        Assert.Equal(["🦙🦙"], Matches(@"[^\s\p{L}\p{N}]+", "🦙🦙"));
        Assert.Equal([" 𝐀𝐁", "1"], Matches(@" ?\p{Lu}+|\p{N}", " 𝐀𝐁1"));
        Assert.Equal(["x", "y"], Matches(@"\w", "x🦙y"));
    }

    [Fact]
    public void Astral_ranges_named_in_a_class_match_only_their_code_points()
    {
        const string deseret = "[A-Z\U00010400-\U0001044F]+";
        Assert.Equal(["A𐐀𐐁"], Matches(deseret, "A𐐀𐐁"));
        Assert.Equal(["A"], Matches(deseret, "A𝐀")); // a letter outside the named range does not match
    }

    [Fact]
    public void Private_use_characters_in_text_do_not_impersonate_stand_ins()
    {
        Assert.Empty(Matches(@"\p{Lu}", "\uF8C0\uF880"));
        Assert.Equal(["\uF8C0"], Matches(@"\p{Co}", "\uF8C0"));
    }

    [Fact]
    public void Dollar_is_end_of_piece_for_llama_cpp_patterns_and_end_of_line_for_tokenizer_json()
    {
        Assert.Empty(Matches("x$", "x\n"));
        Assert.Equal(["x"], Matches("x$", "ax"));
        Assert.Equal(["x", "x"], Matches("x$", "x\nx", RegexDialect.Oniguruma));
        Assert.Equal([" \t"], Matches(@"\s+$", "a \t"));
    }

    [Fact]
    public void Unsupported_constructs_are_reported_with_the_pattern()
    {
        var e = Assert.Throws<QuantReasonException>(() => new PreTokenizerRegex(@"\p{Han}+"));
        Assert.Equal(@"\p{Han}+", e.Where);
        Assert.Throws<QuantReasonException>(() => new PreTokenizerRegex("[abc"));
    }
}
