using QuantReason.Tests.Cli;
using QuantReason.Tokenizers;

namespace QuantReason.Tests.Tokenizers;

public sealed class TokenizerGrowthTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("qr-grow-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    [Fact]
    public void Added_special_tokens_get_the_next_ids_and_encode_as_one_token()
    {
        File.WriteAllText(Path.Combine(_dir, "tokenizer.json"), CliFixture.TokenizerJson());
        var before = TokenizerLoader.FromDirectory(_dir);
        var text = "12 + 3";
        var oldIds = before.Encode(text, addSpecialTokens: false);

        var ids = TokenizerGrowth.AddSpecialTokens(_dir, ["<step>", "</answer>"]);
        Assert.Equal([before.VocabSize, before.VocabSize + 1], ids);
        var after = TokenizerLoader.FromDirectory(_dir);
        Assert.Equal(before.VocabSize + 2, after.VocabSize);
        Assert.Equal(oldIds, after.Encode(text, addSpecialTokens: false)); // old text tokenizes as before
        var tagged = after.Encode("<step>" + text + "</answer>", addSpecialTokens: false);
        Assert.Equal(ids[0], tagged[0]);
        Assert.Equal(ids[1], tagged[^1]);
        Assert.Equal(oldIds, tagged[1..^1]);
        Assert.True(after.IsSpecial(ids[0]));

        // adding again is idempotent: known tokens keep their ids
        Assert.Equal(ids, TokenizerGrowth.AddSpecialTokens(_dir, ["<step>", "</answer>"]));
        Assert.Equal(before.VocabSize + 2, TokenizerLoader.FromDirectory(_dir).VocabSize);
    }

    [Fact]
    public void A_folder_without_tokenizer_json_is_a_clear_error()
    {
        var e = Assert.Throws<QuantReasonException>(() => TokenizerGrowth.AddSpecialTokens(_dir, ["<step>"]));
        Assert.Contains("tokenizer.json", e.Message);
    }
}
