using QuantReason.Tokenizers;

namespace QuantReason.Tests.Tokenizers;

public class SentencePieceModelTests
{
    static string LlamaModelPath => Shared.PathOf("tokenizers", "llama2", "tokenizer.model");

    /// <summary>The GGUF vocabulary that holds the same Llama 2 model, found by its reference vectors.</summary>
    static string LlamaSpmVectors =>
        VocabTestVectors.Discover().Cast<object[]>().Select(r => (string)r[0]).Single(f => f.Contains("llama-spm", StringComparison.Ordinal));

    [SharedFact]
    public void Parses_the_llama2_model_proto()
    {
        var m = SentencePieceModel.Load(LlamaModelPath);
        Assert.Equal(32000, m.Pieces.Count);
        Assert.Equal(SentencePieceModelType.Bpe, m.ModelType);
        Assert.True(m.ByteFallback);
        Assert.Equal(("<unk>", TokenType.Unknown), (m.Pieces[m.UnkId].Piece, m.Pieces[m.UnkId].Type));
        Assert.Equal(("<s>", TokenType.Control), (m.Pieces[m.BosId].Piece, m.Pieces[m.BosId].Type));
        Assert.Equal(("</s>", TokenType.Control), (m.Pieces[m.EosId].Piece, m.Pieces[m.EosId].Type));
        Assert.Equal(256, m.Pieces.Count(p => p.Type == TokenType.Byte));
        Assert.Equal("identity", m.NormalizerName);
        Assert.True(m.AddDummyPrefix);
        Assert.False(m.RemoveExtraWhitespaces);
    }

    [SharedFact]
    public void Model_and_gguf_vocabulary_agree_on_every_piece_and_score()
    {
        var m = SentencePieceModel.Load(LlamaModelPath);
        using var gguf = QuantReason.Tensors.GgufFile.Open(Shared.PathOf("tokenizers", "vectors", LlamaSpmVectors));
        var tokens = gguf.GetStringArray("tokenizer.ggml.tokens");
        var scores = gguf.GetArray<float>("tokenizer.ggml.scores");
        var types = gguf.GetArray<int>("tokenizer.ggml.token_type");
        Assert.Equal(tokens.Length, m.Pieces.Count);
        for (var i = 0; i < tokens.Length; i++)
            Assert.Equal((tokens[i], scores[i], types[i]), (m.Pieces[i].Piece, m.Pieces[i].Score, (int)m.Pieces[i].Type));
    }

    [SharedFact]
    public void Tokenizes_the_reference_strings_like_the_llama_spm_vectors()
    {
        var vectors = VocabTestVectors.Load(Shared.PathOf("tokenizers", "vectors", LlamaSpmVectors));
        var tok = TokenizerLoader.FromSentencePieceModel(LlamaModelPath);
        for (var i = 0; i < vectors.Texts.Count; i++)
        {
            Assert.Equal(vectors.Ids[i], tok.Encode(vectors.Texts[i], addSpecialTokens: false));
            Assert.Equal(vectors.Texts[i], tok.Decode(vectors.Ids[i], skipSpecialTokens: true));
        }
    }

    [SharedFact]
    public void Adds_bos_when_asked()
    {
        var tok = TokenizerLoader.FromSentencePieceModel(LlamaModelPath);
        var ids = tok.Encode("Hello world", addSpecialTokens: true);
        Assert.Equal(1, ids[0]);
        Assert.Equal(tok.Encode("Hello world", addSpecialTokens: false), ids[1..]);
        Assert.Equal("Hello world", tok.Decode(ids, skipSpecialTokens: true));
        Assert.Equal("<s> Hello world", tok.Decode(ids, skipSpecialTokens: false));
    }

    [Fact]
    public void Missing_file_names_the_path()
    {
        var path = Path.Combine(Path.GetTempPath(), "quantreason-no-such-dir", "tokenizer.model");
        var e = Assert.Throws<QuantReasonException>(() => TokenizerLoader.FromSentencePieceModel(path));
        Assert.Equal(path, e.Where);
    }

    [Theory]
    [InlineData(new byte[] { 0x0A, 0x05, 0x0A, 0x03, 0x61 })]          // piece string runs past its message
    [InlineData(new byte[] { 0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 })] // varint too long
    [InlineData(new byte[] { 0x0B, 0x00 })]                            // wire type 3 (groups) for field 1
    [InlineData(new byte[] { 0x12, 0x00 })]                            // a TrainerSpec but no pieces
    public void Corrupt_protobuf_is_a_clear_error_naming_the_file(byte[] data)
    {
        var path = Path.Combine(Path.GetTempPath(), $"quantreason-corrupt-{Guid.NewGuid():N}.model");
        File.WriteAllBytes(path, data);
        try
        {
            var e = Assert.Throws<QuantReasonException>(() => TokenizerLoader.FromSentencePieceModel(path));
            Assert.Equal(path, e.Where);
        }
        finally { File.Delete(path); }
    }
}
