using QuantReason.Tokenizers;

namespace QuantReason.Tests.Tokenizers;

public class AddedTokenMatcherTests
{
    static readonly AddedTokenMatcher Matcher = new(
    [
        new AddedToken(10, "<|im_start|>", Special: true),
        new AddedToken(11, "<|im", Special: true),
        new AddedToken(12, "<end>", Special: true, LStrip: true, RStrip: true),
        new AddedToken(13, "<think>", Special: false),
    ]);

    static string Show(IEnumerable<AddedTokenMatcher.Segment> segments) =>
        string.Join("|", segments.Select(s => s.Text ?? $"#{s.Id}"));

    [Fact]
    public void Leftmost_then_longest_match_wins()
    {
        Assert.Equal("a|#10|b|#11|c", Show(Matcher.Split("a<|im_start|>b<|imc", includeSpecial: true)));
    }

    [Fact]
    public void Strip_flags_swallow_neighbouring_whitespace()
    {
        Assert.Equal("x|#12|y", Show(Matcher.Split("x  <end> \n y", includeSpecial: true)));
    }

    [Fact]
    public void Without_special_parsing_only_plain_added_tokens_match()
    {
        Assert.Equal("<|im_start|>|#13|<end>", Show(Matcher.Split("<|im_start|><think><end>", includeSpecial: false)));
    }

    [Fact]
    public void Text_without_markers_is_one_segment()
    {
        Assert.Equal("plain < text >", Show(Matcher.Split("plain < text >", includeSpecial: true)));
        Assert.Empty(Matcher.Split("", includeSpecial: true));
    }
}
