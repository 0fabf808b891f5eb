using QuantReason.Tokenizers;

namespace QuantReason.Tests.Tokenizers;

public class TokenizerLoaderTests(Xunit.Abstractions.ITestOutputHelper output)
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

    /// <summary>
    /// Seeded mutations of the reference model's tokenizer.json, tokenizer_config.json and generation_config.json and of
    /// the Llama 2 tokenizer.model, each loaded and used to encode and decode a line: it works, or fails with one short line.
    /// </summary>
    [SharedFact]
    public void Mutated_tokenizer_files_load_or_fail_cleanly()
    {
        var scratch = Directory.CreateTempSubdirectory("qr-tokenizer-fuzz-").FullName;
        try
        {
            var reference = RepoFiles.PathOf("data", "models", "stepmath-ref");
            var spm = Fuzz.CopyOf(Shared.PathOf("tokenizers", "llama2"), scratch, "tokenizer.model");
            void Use(string dir)
            {
                var tok = TokenizerLoader.FromDirectory(dir);
                tok.Decode(tok.Encode("25+79<|step_start|>25+79=104<|step_end|> \\boxed{104}", addSpecialTokens: true), skipSpecialTokens: false);
            }
            IEnumerable<Fuzz.Case> Cases()
            {
                int seed = 200;
                string[] files = ["tokenizer.json", "tokenizer_config.json", "generation_config.json"];
                if (File.Exists(Path.Combine(reference, "tokenizer.json")))
                {
                    var dir = Fuzz.CopyOf(reference, scratch, files);
                    foreach (var (file, count) in files.Zip([120, 60, 10]))
                    {
                        var original = File.ReadAllBytes(Path.Combine(reference, file));
                        foreach (var c in Fuzz.JsonMutations(original, ++seed, count)) yield return c.For(Path.Combine(dir, file));
                        File.WriteAllBytes(Path.Combine(dir, file), original);
                    }
                }
                var model = File.ReadAllBytes(Path.Combine(spm, "tokenizer.model"));
                foreach (var c in Fuzz.BinaryMutations(model, ++seed, 12)) yield return c.For(Path.Combine(spm, "tokenizer.model"));
            }
            var bound = Fuzz.TimeBound(() => Use(spm), () => { if (File.Exists(Path.Combine(reference, "tokenizer.json"))) Use(reference); });
            Fuzz.Run(Cases(), c => Use(Path.GetDirectoryName(c.Target)!), bound, 128L << 20).AssertClean(output, "tokenizer file");
        }
        finally { Directory.Delete(scratch, true); }
    }
}
