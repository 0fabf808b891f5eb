using System.Text.Json;
using QuantReason.Tokenizers;

namespace QuantReason.Tests.Tokenizers;

public class CharacterVocabularyTests
{
    static readonly CharacterVocabulary Small = new() { Tags = ["<|a|>", "<|b|>"], Characters = "xy z" };

    [Fact]
    public void Written_files_have_the_shape_hugging_face_reads_as_a_character_tokenizer()
    {
        var dir = Directory.CreateTempSubdirectory("qr-charvocab-").FullName;
        try
        {
            Small.Write(dir);
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "tokenizer.json")));
            var root = doc.RootElement;
            var model = root.GetProperty("model");
            Assert.Equal("BPE", model.GetProperty("type").GetString());
            Assert.Equal(0, model.GetProperty("merges").GetArrayLength());
            Assert.Equal(JsonValueKind.Null, root.GetProperty("pre_tokenizer").ValueKind);
            Assert.Equal("Fuse", root.GetProperty("decoder").GetProperty("type").GetString());
            var vocab = model.GetProperty("vocab").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
            Assert.Equal(Small.Tokens(), vocab.OrderBy(kv => kv.Value).Select(kv => kv.Key));
            var added = root.GetProperty("added_tokens").EnumerateArray()
                .Select(a => (a.GetProperty("content").GetString(), a.GetProperty("id").GetInt32(), a.GetProperty("special").GetBoolean())).ToList();
            Assert.Equal([("<pad>", 0, true), ("<s>", 1, true), ("</s>", 2, true), ("<|a|>", 3, false), ("<|b|>", 4, false)], added);
            using var cfg = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "tokenizer_config.json")));
            Assert.Equal("PreTrainedTokenizerFast", cfg.RootElement.GetProperty("tokenizer_class").GetString());
            Assert.Equal(5, cfg.RootElement.GetProperty("added_tokens_decoder").EnumerateObject().Count());
            Assert.True(File.Exists(Path.Combine(dir, "special_tokens_map.json")));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void The_loader_reads_it_back_one_token_per_character()
    {
        var dir = Directory.CreateTempSubdirectory("qr-charvocab-").FullName;
        try
        {
            Small.Write(dir);
            var tok = TokenizerLoader.FromDirectory(dir);
            Assert.Equal(Small.VocabSize, tok.VocabSize);
            Assert.Equal((1, 2, 0), (tok.BosId!.Value, tok.EosIds.Single(), tok.PadId!.Value));
            Assert.Equal([1, 5, 3, 8, 6, 4, 7, 6], tok.Encode("x<|a|>zy<|b|> y", addSpecialTokens: true));
            Assert.Equal("x<|a|>zy<|b|> y", tok.Decode([5, 3, 8, 6, 4, 7, 6], skipSpecialTokens: false));
            // Special tokens drop out of decoded text; the tags stay.
            Assert.Equal("x<|a|>", tok.Decode([1, 5, 3, 2, 0], skipSpecialTokens: true));
            Assert.Throws<QuantReasonException>(() => tok.Encode("q", addSpecialTokens: false));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Duplicate_tokens_are_refused()
    {
        Assert.Contains("'x'", Assert.Throws<QuantReasonException>(() => new CharacterVocabulary { Characters = "xyx" }.Validate()).Message);
        Assert.Throws<QuantReasonException>(() => new CharacterVocabulary { Tags = ["<s>"], Characters = "ab" }.Validate());
    }
}
