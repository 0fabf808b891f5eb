using QuantReason.Tokenizers;

namespace QuantReason.Tests.Tokenizers;

public class StreamingDecoderTests
{
    public static TheoryData<string> Vocabularies => VocabTestVectors.Discover();

    const string MultiByte = "Emoji 🦙🚀😶‍🌫️ and CJK 我想在apple工作 then ½ and Ῥ, Kreyòl — done ✅";

    static (string Streamed, List<string> Chunks) Stream(ITokenizer tok, IEnumerable<int> ids, bool skipSpecial = true)
    {
        var dec = new StreamingDecoder(tok, skipSpecial);
        var chunks = ids.Select(dec.Push).ToList();
        chunks.Add(dec.Flush());
        return (string.Concat(chunks), chunks);
    }

    [SharedTheory]
    [MemberData(nameof(Vocabularies))]
    public void Streaming_equals_full_decode_and_never_emits_half_characters(string vocabFile)
    {
        var tok = TokenizerLoader.FromGguf(Shared.PathOf("tokenizers", "vectors", vocabFile));
        var vectors = VocabTestVectors.Load(Shared.PathOf("tokenizers", "vectors", vocabFile));
        foreach (var ids in vectors.Ids.Append(tok.Encode(MultiByte, addSpecialTokens: true)))
        {
            var (streamed, chunks) = Stream(tok, ids);
            Assert.Equal(tok.Decode(ids, skipSpecialTokens: true), streamed);
            Assert.DoesNotContain(chunks, c => c.Contains('\uFFFD'));
            Assert.DoesNotContain(chunks, c => c.Length > 0 && char.IsHighSurrogate(c[^1]));
        }
    }

    [SharedFact]
    public void Byte_fallback_emoji_is_held_until_its_last_byte()
    {
        var tok = TokenizerLoader.FromSentencePieceModel(Shared.PathOf("tokenizers", "llama2", "tokenizer.model"));
        var ids = tok.Encode("🦙", addSpecialTokens: false);
        // ▁ then the four UTF-8 bytes of U+1F999 as <0xF0><0x9F><0xA6><0x99>
        Assert.Equal(["▁", "<0xF0>", "<0x9F>", "<0xA6>", "<0x99>"], ids.Select(i => tok.TokenToString(i)!));
        var (_, chunks) = Stream(tok, ids);
        Assert.Equal(["", "", "", "", "🦙", ""], chunks);
    }

    [SharedFact]
    public void Special_tokens_are_skipped_or_kept_as_asked()
    {
        var tok = TokenizerLoader.FromSentencePieceModel(Shared.PathOf("tokenizers", "llama2", "tokenizer.model"));
        int[] ids = [.. tok.Encode("Hi 我", addSpecialTokens: true), tok.EosIds[0]];
        Assert.Equal("Hi 我", Stream(tok, ids).Streamed);
        Assert.Equal(tok.Decode(ids, skipSpecialTokens: false), Stream(tok, ids, skipSpecial: false).Streamed);
    }

    [Fact]
    public void Truncated_character_at_the_end_flushes_as_replacement_like_full_decode()
    {
        var tok = SmallByteLevelTokenizer.Create();
        var ids = tok.Encode("é", addSpecialTokens: false); // two byte tokens, 0xC3 0xA9
        Assert.Equal(2, ids.Length);
        var (streamed, chunks) = Stream(tok, ids[..1]);
        Assert.Equal(tok.Decode(ids[..1], skipSpecialTokens: true), streamed);
        Assert.Equal(["", "\uFFFD"], chunks);
    }
}
