using System.Text.Json;

namespace QuantReason.Tokenizers;

/// <summary>
/// The fields of Hugging Face <c>tokenizer_config.json</c> that change tokenization: special token strings,
/// add_bos_token/add_eos_token, the chat template and added_tokens_decoder.
/// </summary>
public sealed record TokenizerConfig
{
    public string? BosToken { get; init; }
    public string? EosToken { get; init; }
    public string? PadToken { get; init; }
    public string? UnkToken { get; init; }
    public bool? AddBosToken { get; init; }
    public bool? AddEosToken { get; init; }
    public string? ChatTemplate { get; init; }
    public IReadOnlyList<AddedToken> AddedTokensDecoder { get; init; } = [];

    public static TokenizerConfig Load(string path)
    {
        using var doc = JsonFile.Parse(path);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new QuantReasonException("expected a JSON object", path);

        var added = new List<AddedToken>();
        if (JsonFile.Object(root, "added_tokens_decoder") is { } dec)
            foreach (var p in dec.EnumerateObject())
            {
                if (!int.TryParse(p.Name, out var id))
                    throw new QuantReasonException($"added_tokens_decoder key '{QuantReasonException.Quote(p.Name)}' is not a token id", path);
                added.Add(new AddedToken(id, JsonFile.String(p.Value, "content") ?? "",
                    JsonFile.Bool(p.Value, "special") ?? false, JsonFile.Bool(p.Value, "lstrip") ?? false,
                    JsonFile.Bool(p.Value, "rstrip") ?? false));
            }

        return new TokenizerConfig
        {
            BosToken = JsonFile.TokenContent(root, "bos_token"),
            EosToken = JsonFile.TokenContent(root, "eos_token"),
            PadToken = JsonFile.TokenContent(root, "pad_token"),
            UnkToken = JsonFile.TokenContent(root, "unk_token"),
            AddBosToken = JsonFile.Bool(root, "add_bos_token"),
            AddEosToken = JsonFile.Bool(root, "add_eos_token"),
            ChatTemplate = ReadChatTemplate(root),
            AddedTokensDecoder = added,
        };
    }

    /// <summary>chat_template is a string, or a list of {name, template} where "default" is the one to use.</summary>
    static string? ReadChatTemplate(JsonElement root)
    {
        if (!root.TryGetProperty("chat_template", out var t)) return null;
        if (t.ValueKind == JsonValueKind.String) return t.GetString();
        if (t.ValueKind != JsonValueKind.Array) return null;
        string? first = null;
        foreach (var item in t.EnumerateArray())
        {
            var template = JsonFile.String(item, "template");
            first ??= template;
            if (JsonFile.String(item, "name") == "default") return template;
        }
        return first;
    }
}

/// <summary>Token ids from <c>generation_config.json</c>: eos_token_id may be one id or a list (Llama 3 Instruct).</summary>
public sealed record GenerationConfig(int? BosTokenId, IReadOnlyList<int> EosTokenIds, int? PadTokenId)
{
    public static GenerationConfig Load(string path)
    {
        using var doc = JsonFile.Parse(path);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new QuantReasonException("expected a JSON object", path);
        int? Int(string name) =>
            root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : null;
        int Id(JsonElement x) => x.TryGetInt32(out var i) ? i
            : throw new QuantReasonException($"eos_token_id holds {QuantReasonException.Quote(x.GetRawText(), 40)}, not a 32-bit token id", path);
        var eos = new List<int>();
        if (root.TryGetProperty("eos_token_id", out var e))
        {
            if (e.ValueKind == JsonValueKind.Number) eos.Add(Id(e));
            else if (e.ValueKind == JsonValueKind.Array)
                foreach (var x in e.EnumerateArray())
                    if (x.ValueKind == JsonValueKind.Number) eos.Add(Id(x));
        }
        return new GenerationConfig(Int("bos_token_id"), eos, Int("pad_token_id"));
    }
}
