using QuantReason.Tokenizers;

namespace QuantReason.Tests.Tokenizers;

public class NormalizerTests
{
    [Fact]
    public void SentencePiece_whitespace_rules()
    {
        Assert.Equal("a b c", new CollapseSpacesStep().Apply("  a   b c  "));
        var llama = new Normalizer([new PrependStep("▁"), new ReplaceStep(" ", "▁")]);
        Assert.Equal("▁Hello▁▁world", llama.Apply("Hello  world"));
        Assert.Equal("", llama.Apply("")); // no dummy prefix on empty text
    }

    [Fact]
    public void Strip_and_lowercase()
    {
        Assert.Equal("ab ", new StripStep(Left: true, Right: false).Apply("  ab "));
        Assert.Equal("straße", new LowercaseStep().Apply("STRAßE"));
    }

    [Fact]
    public void Metaspace_prepend_schemes_and_splitting()
    {
        // HF splits with MergedWithNext: every ▁ starts a piece, so a run of two gives "▁" then "▁world".
        var first = new PreTokenizer([new MetaspaceStep('▁', MetaspacePrepend.First, SplitPieces: true)]);
        Assert.Equal(["▁Hello", "▁big", "▁", "▁world"], first.Split("Hello big  world", isFirst: true));
        Assert.Equal(["Hello", "▁big"], first.Split("Hello big", isFirst: false));
        var always = new PreTokenizer([new MetaspaceStep('▁', MetaspacePrepend.Always, SplitPieces: false)]);
        Assert.Equal(["▁Hello▁big"], always.Split("Hello big", isFirst: false));
    }

    [Fact]
    public void Split_behaviours_follow_huggingface()
    {
        static List<string> Run(SplitBehavior b, bool invert = false) =>
            new PreTokenizer([new RegexSplitStep(new PreTokenizerRegex("-"), b, invert)]).Split("a-b--c");
        Assert.Equal(["a", "-", "b", "-", "-", "c"], Run(SplitBehavior.Isolated));
        Assert.Equal(["a", "b", "c"], Run(SplitBehavior.Removed));
        Assert.Equal(["a-", "b-", "-", "c"], Run(SplitBehavior.MergedWithPrevious));
        Assert.Equal(["a", "-b", "-", "-c"], Run(SplitBehavior.MergedWithNext));
        Assert.Equal(["a", "-", "b", "--", "c"], Run(SplitBehavior.Contiguous));
        Assert.Equal(["-", "-", "-"], Run(SplitBehavior.Removed, invert: true));
    }
}
