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
}
