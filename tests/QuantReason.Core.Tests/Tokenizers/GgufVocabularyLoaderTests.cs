using QuantReason.Tokenizers;

namespace QuantReason.Tests.Tokenizers;

public class GgufVocabularyLoaderTests
{
    public static TheoryData<string> Vocabularies => VocabTestVectors.Discover();

    static string Show(string s) => System.Text.Json.JsonSerializer.Serialize(s);

    [SharedTheory]
    [MemberData(nameof(Vocabularies))]
    public void Encode_reproduces_reference_ids_exactly(string vocabFile)
    {
        var vectors = VocabTestVectors.Load(Shared.PathOf("tokenizers", "vectors", vocabFile));
        var tok = GgufVocabularyLoader.Load(vectors.VocabPath);
        var failures = new List<string>();
        for (var i = 0; i < vectors.Texts.Count; i++)
        {
            // The references were made with add_special_tokens=False (llama.cpp test-tokenizer-0 convention): no BOS.
            var got = tok.Encode(vectors.Texts[i], addSpecialTokens: false);
            if (!got.SequenceEqual(vectors.Ids[i]))
                failures.Add($"#{i} {Show(vectors.Texts[i])}\n  expected {string.Join(' ', vectors.Ids[i])}\n  got      {string.Join(' ', got)}");
        }
        Assert.True(failures.Count == 0, $"{failures.Count}/{vectors.Texts.Count} strings differ:\n" + string.Join('\n', failures));
    }

    [SharedTheory]
    [MemberData(nameof(Vocabularies))]
    public void Decoding_reference_ids_returns_the_string(string vocabFile)
    {
        var vectors = VocabTestVectors.Load(Shared.PathOf("tokenizers", "vectors", vocabFile));
        var tok = GgufVocabularyLoader.Load(vectors.VocabPath);
        var failures = new List<string>();
        for (var i = 0; i < vectors.Texts.Count; i++)
        {
            var text = tok.Decode(vectors.Ids[i], skipSpecialTokens: false);
            if (text != vectors.Texts[i]) failures.Add($"#{i} expected {Show(vectors.Texts[i])} got {Show(text)}");
        }
        Assert.True(failures.Count == 0, $"{failures.Count}/{vectors.Texts.Count} strings differ:\n" + string.Join('\n', failures));
    }

    [Fact]
    public void A_gguf_without_a_vocabulary_is_a_clear_error()
    {
        var path = Path.Combine(Path.GetTempPath(), $"quantreason-novocab-{Guid.NewGuid():N}.gguf");
        File.WriteAllBytes(path, [(byte)'G', (byte)'G', (byte)'U', (byte)'F', 3, 0, 0, 0, .. new byte[16]]);
        try
        {
            var e = Assert.Throws<QuantReasonException>(() => TokenizerLoader.FromGguf(path));
            Assert.Equal(path, e.Where);
            Assert.Contains("tokenizer.ggml.model", e.Message);
        }
        finally { File.Delete(path); }
    }

    [SharedTheory]
    [MemberData(nameof(Vocabularies))]
    public void A_truncated_vocabulary_file_is_a_clear_error(string vocabFile)
    {
        var bytes = File.ReadAllBytes(Shared.PathOf("tokenizers", "vectors", vocabFile));
        var path = Path.Combine(Path.GetTempPath(), $"quantreason-cut-{Guid.NewGuid():N}.gguf");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        try
        {
            var e = Assert.Throws<QuantReasonException>(() => TokenizerLoader.FromGguf(path));
            Assert.Equal(path, e.Where);
            Assert.Contains("truncated", e.Message);
        }
        finally { File.Delete(path); }
    }

    [SharedTheory]
    [MemberData(nameof(Vocabularies))]
    public void Special_ids_and_flags_come_from_the_metadata(string vocabFile)
    {
        var path = Shared.PathOf("tokenizers", "vectors", vocabFile);
        using var gguf = QuantReason.Tensors.GgufFile.Open(path);
        var tok = GgufVocabularyLoader.Load(gguf);
        Assert.Equal(gguf.GetStringArray("tokenizer.ggml.tokens").Length, tok.VocabSize);
        Assert.Equal(gguf.GetInt32("tokenizer.ggml.bos_token_id"), tok.BosId);
        Assert.Equal(gguf.GetInt32("tokenizer.ggml.eos_token_id"), tok.EosIds[0]);
        var spm = gguf.GetString("tokenizer.ggml.model") == "llama";
        Assert.Equal(gguf.TryGetBool("tokenizer.ggml.add_bos_token", out var addBos) ? addBos : spm, tok.AddBos);
        var ids = tok.Encode("Hello world", addSpecialTokens: true);
        Assert.Equal(tok.AddBos, ids[0] == tok.BosId);
        Assert.Equal("Hello world", tok.Decode(ids, skipSpecialTokens: true));
    }
}
