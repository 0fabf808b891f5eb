using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace QuantReason.Tokenizers;

/// <summary>
/// A character-level vocabulary written as a standard Hugging Face tokenizer: a BPE model whose vocabulary is the
/// characters (no merges, so BPE never joins them), no normalizer or pre-tokenizer, a <c>Fuse</c> decoder (tokens are
/// concatenated, not space-joined), and added tokens matched verbatim before that. Ids: pad, bos, eos, then the other
/// added tokens, then the characters in the given order. Both <see cref="TokenizerLoader"/> and HF
/// <c>tokenizers</c>/<c>AutoTokenizer</c> load the files it writes.
/// </summary>
public sealed record CharacterVocabulary
{
    public string Pad { get; init; } = "<pad>";
    public string Bos { get; init; } = "<s>";
    public string Eos { get; init; } = "</s>";
    /// <summary>Added tokens that stay in decoded text (special: false, and not in additional_special_tokens, so
    /// skip_special_tokens keeps them), e.g. format tags a parser reads back.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];
    /// <summary>Every character the texts use, one token each.</summary>
    public required string Characters { get; init; }
    /// <summary>Jinja chat template for tokenizer_config.json, or null for none.</summary>
    public string? ChatTemplate { get; init; }
    public int ModelMaxLength { get; init; } = 2048;

    public int PadId => 0;
    public int BosId => 1;
    public int EosId => 2;
    public int VocabSize => 3 + Tags.Count + Characters.Length;

    /// <summary>Token strings by id.</summary>
    public IReadOnlyList<string> Tokens() =>
        [Pad, Bos, Eos, .. Tags, .. Characters.Select(c => c.ToString())];

    /// <summary>Checks once that every token is distinct and every character a single UTF-16 unit outside the added tokens.</summary>
    public CharacterVocabulary Validate()
    {
        var tokens = Tokens();
        var dup = tokens.GroupBy(t => t, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new QuantReasonException($"token '{dup.Key}' appears twice in the character vocabulary", "tokenizer");
        foreach (var c in Characters)
            if (char.IsSurrogate(c) || char.IsControl(c))
                throw new QuantReasonException($"character U+{(int)c:X4} cannot be a character token", "tokenizer");
        foreach (var t in tokens.Take(3 + Tags.Count))
            if (t.Length < 2) throw new QuantReasonException($"added token '{t}' must be longer than one character", "tokenizer");
        return this;
    }

    /// <summary>Writes tokenizer.json, tokenizer_config.json and special_tokens_map.json into <paramref name="dir"/>.</summary>
    public void Write(string dir)
    {
        Validate();
        Directory.CreateDirectory(dir);
        var json = new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        var tokens = Tokens();
        int added = 3 + Tags.Count;

        JsonObject Added(int id) => new()
        {
            ["id"] = id, ["content"] = tokens[id], ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
            ["normalized"] = false, ["special"] = id < 3,
        };
        var vocab = new JsonObject();
        for (int i = 0; i < tokens.Count; i++) vocab[tokens[i]] = i;
        var bosPiece = new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = Bos, ["type_id"] = 0 } };
        JsonObject Seq(string id, int type) => new() { ["Sequence"] = new JsonObject { ["id"] = id, ["type_id"] = type } };
        var tokenizer = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = new JsonArray(Enumerable.Range(0, added).Select(i => (JsonNode)Added(i)).ToArray()),
            ["normalizer"] = null,
            ["pre_tokenizer"] = null,
            // Plain encode(text) starts with bos, as Llama's tokenizers do; chat templates write it themselves.
            ["post_processor"] = new JsonObject
            {
                ["type"] = "TemplateProcessing",
                ["single"] = new JsonArray(bosPiece.DeepClone(), Seq("A", 0)),
                ["pair"] = new JsonArray(bosPiece.DeepClone(), Seq("A", 0), bosPiece.DeepClone(), Seq("B", 1)),
                ["special_tokens"] = new JsonObject
                {
                    [Bos] = new JsonObject { ["id"] = Bos, ["ids"] = new JsonArray(BosId), ["tokens"] = new JsonArray(Bos) },
                },
            },
            ["decoder"] = new JsonObject { ["type"] = "Fuse" },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null, ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = false,
                ["vocab"] = vocab, ["merges"] = new JsonArray(),
            },
        };
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), tokenizer.ToJsonString(json) + "\n");

        var decoderMap = new JsonObject();
        for (int i = 0; i < added; i++)
        {
            var a = Added(i);
            a.Remove("id");
            decoderMap[i.ToString(System.Globalization.CultureInfo.InvariantCulture)] = a;
        }
        var config = new JsonObject
        {
            ["tokenizer_class"] = "PreTrainedTokenizerFast",
            ["bos_token"] = Bos,
            ["eos_token"] = Eos,
            ["pad_token"] = Pad,
            ["add_bos_token"] = true,
            ["add_eos_token"] = false,
            ["clean_up_tokenization_spaces"] = false,
            ["model_max_length"] = ModelMaxLength,
            ["added_tokens_decoder"] = decoderMap,
        };
        if (ChatTemplate is not null) config["chat_template"] = ChatTemplate;
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), config.ToJsonString(json) + "\n");

        var map = new JsonObject { ["bos_token"] = Bos, ["eos_token"] = Eos, ["pad_token"] = Pad };
        File.WriteAllText(Path.Combine(dir, "special_tokens_map.json"), map.ToJsonString(json) + "\n");
    }
}
