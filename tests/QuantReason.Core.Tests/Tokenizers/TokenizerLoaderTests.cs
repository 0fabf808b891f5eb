using QuantReason.Tokenizers;

namespace QuantReason.Tests.Tokenizers;

public class TokenizerLoaderTests
{
    [SharedFact]
    public void A_folder_with_only_tokenizer_model_loads_it()
    {
        var tok = TokenizerLoader.FromDirectory(Shared.PathOf("tokenizers", "llama2"));
        Assert.Equal(32000, tok.VocabSize);
        Assert.Equal(1, tok.BosId);
        Assert.Equal([2], tok.EosIds);
        Assert.True(tok.AddBos);
    }

    [SharedFact]
    public void Tokenizer_config_and_generation_config_refine_a_sentencepiece_model()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"quantreason-spm-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            // The model file is read from ../shared at test time into a scratch folder, never into the repository.
            File.Copy(Shared.PathOf("tokenizers", "llama2", "tokenizer.model"), Path.Combine(dir, "tokenizer.model"));
            File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"),
                """{"add_bos_token": false, "add_eos_token": true, "bos_token": {"content": "<s>"}, "eos_token": "</s>", "pad_token": "<unk>", "chat_template": "{{ '<|user|>' }}"}""");
            File.WriteAllText(Path.Combine(dir, "generation_config.json"), """{"eos_token_id": [2, 32000]}""");
            var tok = TokenizerLoader.FromDirectory(dir);
            Assert.False(tok.AddBos);
            Assert.True(tok.AddEos);
            Assert.Equal(0, tok.PadId);
            Assert.Equal([2], tok.EosIds); // 32000 is outside this vocabulary and is dropped
            Assert.Equal(ChatTemplateKind.Phi3, ChatTemplate.For(tok).Kind);
            var ids = tok.Encode("Hi", addSpecialTokens: true);
            Assert.NotEqual(1, ids[0]);
            Assert.Equal(2, ids[^1]);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Missing_gguf_names_the_file()
    {
        var path = Path.Combine(Path.GetTempPath(), $"quantreason-none-{Guid.NewGuid():N}.gguf");
        Assert.Equal(path, Assert.Throws<QuantReasonException>(() => TokenizerLoader.FromGguf(path)).Where);
    }

    [SharedFact]
    public void Load_dispatches_on_the_kind_of_path()
    {
        Assert.Equal(32000, TokenizerLoader.Load(Shared.PathOf("tokenizers", "llama2")).VocabSize);
        Assert.Equal(32000, TokenizerLoader.Load(Shared.PathOf("tokenizers", "llama2", "tokenizer.model")).VocabSize);
        var gguf = VocabTestVectors.Discover().Cast<object[]>().Select(r => (string)r[0]).First();
        var fromGguf = TokenizerLoader.Load(Shared.PathOf("tokenizers", "vectors", gguf));
        Assert.Equal(TokenizerLoader.FromGguf(Shared.PathOf("tokenizers", "vectors", gguf)).VocabSize, fromGguf.VocabSize);
        var dir = SmallByteLevelTokenizer.WriteFolder();
        try { Assert.Equal(SmallByteLevelTokenizer.EotId, TokenizerLoader.Load(Path.Combine(dir, "tokenizer.json")).EosIds[0]); }
        finally { Directory.Delete(dir, true); }
        var missing = Path.Combine(Path.GetTempPath(), $"quantreason-nothing-{Guid.NewGuid():N}");
        Assert.Equal(missing, Assert.Throws<QuantReasonException>(() => TokenizerLoader.Load(missing)).Where);
    }
}
