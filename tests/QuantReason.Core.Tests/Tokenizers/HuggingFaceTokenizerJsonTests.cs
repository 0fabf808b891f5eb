using System.Text;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using QuantReason.Tensors;
using QuantReason.Tokenizers;

namespace QuantReason.Tests.Tokenizers;

public class HuggingFaceTokenizerJsonTests
{
    static readonly ITokenizer Small = SmallByteLevelTokenizer.Create();

    [Fact]
    public void Merges_apply_in_rank_order()
    {
        Assert.Equal([258], Small.Encode(" the", addSpecialTokens: false));          // Ġ t → Ġt, h e → he, Ġt he → Ġthe
        Assert.Equal(['t', 257], Small.Encode("the", addSpecialTokens: false));      // no "t he" merge
        Assert.Equal([261, '3'], Small.Encode("123", addSpecialTokens: false));     // \p{N}{1,3} keeps 123 together
        Assert.Equal([261, '3', 261], Small.Encode("12312", addSpecialTokens: false)); // then 12
    }

    [Fact]
    public void Special_and_added_tokens_are_matched_before_pre_tokenization()
    {
        var ids = Small.Encode("<|begin_of_text|> the<think>in<|eot_id|>", addSpecialTokens: false);
        Assert.Equal([SmallByteLevelTokenizer.BeginOfText, 258, SmallByteLevelTokenizer.Think, 259, SmallByteLevelTokenizer.EotId], ids);

        // Control tokens read as text when parsing is off; the non-special added token still matches.
        var literal = Small.Encode("<|eot_id|><think>", addSpecialTokens: false, parseSpecialTokens: false);
        Assert.DoesNotContain(SmallByteLevelTokenizer.EotId, literal);
        Assert.Equal(SmallByteLevelTokenizer.Think, literal[^1]);
        Assert.Equal("<|eot_id|><think>", Small.Decode(literal, skipSpecialTokens: false));
    }

    [Fact]
    public void Configuration_comes_from_post_processor_tokenizer_config_and_generation_config()
    {
        Assert.Equal(SmallByteLevelTokenizer.BeginOfText, Small.BosId);
        Assert.True(Small.AddBos);
        Assert.False(Small.AddEos);
        Assert.Equal([SmallByteLevelTokenizer.EotId, SmallByteLevelTokenizer.BeginOfText], Small.EosIds);
        Assert.Equal(267, Small.VocabSize);
        Assert.Contains("<|start_header_id|>", Small.ChatTemplateSource);
        Assert.Equal(ChatTemplateKind.Llama3, ChatTemplate.For(Small).Kind);
        Assert.Equal([SmallByteLevelTokenizer.BeginOfText, 258], Small.Encode(" the", addSpecialTokens: true));
    }

    [Fact]
    public void Decode_skips_special_tokens_only_when_asked()
    {
        int[] ids = [SmallByteLevelTokenizer.BeginOfText, 258, SmallByteLevelTokenizer.Think, SmallByteLevelTokenizer.EotId];
        Assert.Equal("<|begin_of_text|> the<think><|eot_id|>", Small.Decode(ids, skipSpecialTokens: false));
        Assert.Equal(" the<think>", Small.Decode(ids, skipSpecialTokens: true));
    }

    [Fact]
    public void Any_text_round_trips()
    {
        // Strings built from whole code points (lone surrogates have no UTF-8 form, so they cannot round-trip).
        var codePoint = Gen.OneOf(Gen.Choose(0x20, 0x7E), Gen.Choose(0, 0x7FF), Gen.Choose(0x800, 0xD7FF), Gen.Choose(0x10000, 0x10FFFF),
            Gen.Elements(0x0A, 0x20, 0x09, 0x0D, '\'', 0x3000, 0x1F999));
        var text = codePoint.ArrayOf().Select(cps => string.Concat(cps.Select(char.ConvertFromUtf32)));
        Prop.ForAll(text.ToArbitrary(), s =>
        {
            var ids = Small.Encode(s, addSpecialTokens: true);
            return Small.Decode(ids, skipSpecialTokens: true) == s && ids[0] == SmallByteLevelTokenizer.BeginOfText;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void An_NFC_normalizer_makes_decoding_return_the_composed_form_and_nothing_else()
    {
        // The one lossy step these loaders support: with an NFC normalizer (GPT-NeoX/MPT's tokenizer.json),
        // decode(encode(s)) == NFC(s). Text already in NFC round-trips exactly. Without working normalization
        // (globalization-invariant runtime) loading fails rather than tokenizing unnormalized text.
        var normalizer = new JsonObject { ["type"] = "NFC" };
        if (!UnicodeNormalizationStep.IsAvailable(NormalizationForm.FormC))
        {
            var e = Assert.Throws<QuantReasonException>(() => SmallByteLevelTokenizer.Create(normalizer));
            Assert.Contains("FormC", e.Message);
            return;
        }
        var nfc = SmallByteLevelTokenizer.Create(normalizer);
        const string decomposed = "Cafe\u0301 A\u030A \u212B"; // e + combining acute, A + ring, ANGSTROM SIGN
        var ids = nfc.Encode(decomposed, addSpecialTokens: false);
        Assert.Equal("Caf\u00E9 \u00C5 \u00C5", nfc.Decode(ids, skipSpecialTokens: false));
        const string composed = "Caf\u00E9 \u00C5";
        Assert.Equal(composed, nfc.Decode(nfc.Encode(composed, false), false));
    }

    [Fact]
    public void Without_a_normalizer_decomposed_text_round_trips_exactly()
    {
        const string decomposed = "Cafe\u0301 A\u030A \u212B";
        Assert.Equal(decomposed, Small.Decode(Small.Encode(decomposed, false), false));
    }

    [Fact]
    public void Invalid_json_names_the_file_and_line()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"quantreason-badjson-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "tokenizer.json"), "{\n  \"model\": {\n    \"type\": \"BPE\",\n    oops\n  }\n}");
            var e = Assert.Throws<QuantReasonException>(() => TokenizerLoader.FromDirectory(dir));
            Assert.Equal(Path.Combine(dir, "tokenizer.json") + ":4", e.Where);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Invalid_utf8_in_a_token_names_the_file_line_and_byte()
    {
        var path = Path.Combine(Path.GetTempPath(), $"quantreason-badutf8-{Guid.NewGuid():N}.json");
        byte[] json = [.. Encoding.UTF8.GetBytes("{\"model\": {\"type\": \"BPE\",\n \"vocab\": {\"a"), 0xC3, 0x28,
                       .. Encoding.UTF8.GetBytes("\": 0}, \"merges\": []}}")];
        File.WriteAllBytes(path, json);
        try
        {
            var e = Assert.Throws<QuantReasonException>(() => HuggingFaceTokenizerJson.Load(path));
            Assert.Equal(path + ":2", e.Where);
            Assert.Contains("invalid UTF-8 at byte 39", e.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Missing_directory_or_tokenizer_files_are_clear_errors()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"quantreason-empty-{Guid.NewGuid():N}");
        Assert.Equal(dir, Assert.Throws<QuantReasonException>(() => TokenizerLoader.FromDirectory(dir)).Where);
        Directory.CreateDirectory(dir);
        try
        {
            var e = Assert.Throws<QuantReasonException>(() => TokenizerLoader.FromDirectory(dir));
            Assert.Equal(dir, e.Where);
            Assert.Contains("tokenizer.json", e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Unsupported_model_type_is_refused()
    {
        var path = Path.Combine(Path.GetTempPath(), $"quantreason-unigram-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{"model": {"type": "Unigram", "vocab": []}}""");
        try
        {
            var e = Assert.Throws<QuantReasonException>(() => HuggingFaceTokenizerJson.Load(path));
            Assert.Equal(path, e.Where);
            Assert.Contains("Unigram", e.Message);
        }
        finally { File.Delete(path); }
    }

    // ---- tokenizer.json files rebuilt from the shared GGUF vocabularies, checked against the reference ids ----

    static string VectorsFile(string name) =>
        VocabTestVectors.Discover().Cast<object[]>().Select(r => (string)r[0]).Single(f => f.Contains(name, StringComparison.Ordinal));

    static JsonObject Vocab(string[] tokens)
    {
        var vocab = new JsonObject();
        for (var i = 0; i < tokens.Length; i++) if (!vocab.ContainsKey(tokens[i])) vocab[tokens[i]] = i;
        return vocab;
    }

    static void AssertReproduces(string json, string vectorsName)
    {
        var path = Path.Combine(Path.GetTempPath(), $"quantreason-{vectorsName}-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        try
        {
            var tok = HuggingFaceTokenizerJson.Load(path);
            var vectors = VocabTestVectors.Load(Shared.PathOf("tokenizers", "vectors", VectorsFile(vectorsName)));
            for (var i = 0; i < vectors.Texts.Count; i++)
            {
                Assert.Equal(vectors.Ids[i], tok.Encode(vectors.Texts[i], addSpecialTokens: false));
                Assert.Equal(vectors.Texts[i], tok.Decode(vectors.Ids[i], skipSpecialTokens: false));
            }
        }
        finally { File.Delete(path); }
    }

    [SharedFact]
    public void Gpt2_as_tokenizer_json_reproduces_the_reference_ids()
    {
        using var gguf = GgufFile.Open(Shared.PathOf("tokenizers", "vectors", VectorsFile("gpt-2")));
        var json = new JsonObject
        {
            ["added_tokens"] = new JsonArray(new JsonObject { ["id"] = 50256, ["content"] = "<|endoftext|>", ["special"] = true }),
            ["pre_tokenizer"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["use_regex"] = true },
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel" },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["vocab"] = Vocab(gguf.GetStringArray("tokenizer.ggml.tokens")),
                ["merges"] = new JsonArray(gguf.GetStringArray("tokenizer.ggml.merges").Select(m => (JsonNode)m).ToArray()),
            },
        };
        AssertReproduces(json.ToJsonString(), "gpt-2");
    }

    [SharedFact]
    public void Llama2_style_sentencepiece_json_reproduces_the_reference_ids()
    {
        // The shape transformers' LlamaConverter writes: Prepend/Replace normalizer, byte_fallback, merges ordered by
        // the score of the piece they form, Replace/ByteFallback/Fuse/Strip decoder.
        var model = SentencePieceModel.Load(Shared.PathOf("tokenizers", "llama2", "tokenizer.model"));
        var tokens = model.Pieces.Select(p => p.Piece).ToArray();
        var ids = Enumerable.Range(0, tokens.Length).ToDictionary(i => tokens[i], StringComparer.Ordinal);
        var merges = new List<(float Score, int Id, string Left, string Right)>();
        for (var id = 0; id < tokens.Length; id++)
        {
            if (model.Pieces[id].Type != TokenType.Normal) continue;
            for (var k = 1; k < tokens[id].Length; k++)
                if (ids.ContainsKey(tokens[id][..k]) && ids.ContainsKey(tokens[id][k..]))
                    merges.Add((model.Pieces[id].Score, id, tokens[id][..k], tokens[id][k..]));
        }
        var ordered = merges.OrderByDescending(m => m.Score).ThenBy(m => m.Id).Select(m => (JsonNode)new JsonArray(m.Left, m.Right)).ToArray();
        var json = new JsonObject
        {
            ["added_tokens"] = new JsonArray(
                new JsonObject { ["id"] = 0, ["content"] = "<unk>", ["special"] = true },
                new JsonObject { ["id"] = 1, ["content"] = "<s>", ["special"] = true },
                new JsonObject { ["id"] = 2, ["content"] = "</s>", ["special"] = true }),
            ["normalizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["normalizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Prepend", ["prepend"] = "▁" },
                    new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = " " }, ["content"] = "▁" }),
            },
            ["pre_tokenizer"] = null,
            ["decoder"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["decoders"] = new JsonArray(
                    new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = "▁" }, ["content"] = " " },
                    new JsonObject { ["type"] = "ByteFallback" },
                    new JsonObject { ["type"] = "Fuse" },
                    new JsonObject { ["type"] = "Strip", ["content"] = " ", ["start"] = 1, ["stop"] = 0 }),
            },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["unk_token"] = "<unk>", ["fuse_unk"] = true, ["byte_fallback"] = true,
                ["vocab"] = Vocab(tokens), ["merges"] = new JsonArray(ordered),
            },
        };
        AssertReproduces(json.ToJsonString(), "llama-spm");
    }
}
