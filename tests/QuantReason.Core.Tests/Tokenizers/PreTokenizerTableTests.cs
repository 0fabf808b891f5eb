using QuantReason.Tokenizers;

namespace QuantReason.Tests.Tokenizers;

public class PreTokenizerTableTests
{
    public static TheoryData<string> Names => new(PreTokenizerTable.Names.Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(Names))]
    public void Every_entry_compiles_and_covers_its_input(string name)
    {
        var spec = PreTokenizerTable.Get(name, "test");
        var pre = PreTokenizer.FromPatterns(spec.Patterns);
        const string text = "Hello, y'all! 1234567 🦙 我想在apple工作 𝐀𝐁 ----====\n\n\t x";
        // Isolated splitting never drops text: the pieces concatenate back to the input.
        Assert.Equal(text, string.Concat(pre.Split(text)));
    }

    static List<string> Split(string name, string text) => PreTokenizer.FromPatterns(PreTokenizerTable.Get(name, "test").Patterns).Split(text);

    [Fact]
    public void Families_split_digits_and_words_as_their_models_do()
    {
        Assert.Equal(["Hello", " world", "'s", " 12345"], Split("gpt-2", "Hello world's 12345"));
        Assert.Equal(["Hello", " world", "'S", " ", "123", "45"], Split("llama-bpe", "Hello world'S 12345"));
        Assert.Equal(["Hello", " world", " ", "1", "2", "3"], Split("qwen2", "Hello world 123"));
        Assert.Equal(["Hello", " world", " ", "1", "2", "3"], Split("starcoder", "Hello world 123"));
        Assert.Equal(["x", " ", "123", "4"], Split("falcon", "x 1234"));
        Assert.True(PreTokenizerTable.Get("llama-bpe", "test").IgnoreMerges);
        Assert.False(PreTokenizerTable.Get("gpt-2", "test").IgnoreMerges);
    }

    [Fact]
    public void Missing_name_means_default_and_unknown_names_are_errors()
    {
        Assert.Equal("default", PreTokenizerTable.Get(null, "x").Name);
        var e = Assert.Throws<QuantReasonException>(() => PreTokenizerTable.Get("no-such-pre", "model.gguf"));
        Assert.Equal("model.gguf", e.Where);
        Assert.Contains("qwen2", e.Message);
    }
}
