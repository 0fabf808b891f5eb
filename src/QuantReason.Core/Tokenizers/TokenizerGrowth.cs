using System.Text.Json;
using System.Text.Json.Nodes;

namespace QuantReason.Tokenizers;

/// <summary>
/// Adds special tokens to a pretrained tokenizer in place, as Hugging Face's <c>tokenizer.add_special_tokens</c> followed
/// by <c>save_pretrained</c> does: each new token gets the next id after the vocabulary, an <c>added_tokens</c> entry in
/// tokenizer.json (special, matched verbatim before pre-tokenization) and an <c>added_tokens_decoder</c> entry in
/// tokenizer_config.json when that file exists. Tokens the vocabulary already has keep their id.
/// </summary>
public static class TokenizerGrowth
{
    /// <summary>Adds <paramref name="tokens"/> to the tokenizer files in <paramref name="dir"/>; returns each token's id.</summary>
    public static int[] AddSpecialTokens(string dir, IReadOnlyList<string> tokens)
    {
        var jsonPath = Path.Combine(dir, "tokenizer.json");
        if (!File.Exists(jsonPath))
            throw new QuantReasonException("adding tokens needs a tokenizer.json (a tokenizer.model alone cannot grow)", dir);
        if (tokens.Any(string.IsNullOrEmpty)) throw new QuantReasonException("a new token must not be empty", "new_tokens");
        if (tokens.Distinct(StringComparer.Ordinal).Count() != tokens.Count) throw new QuantReasonException("new_tokens lists a token twice", "new_tokens");
        var existing = TokenizerLoader.FromDirectory(dir);
        JsonNode root;
        try { root = JsonNode.Parse(File.ReadAllText(jsonPath))!; }
        catch (JsonException e) { throw new QuantReasonException($"malformed JSON: {e.Message}", jsonPath, e); }
        var added = root["added_tokens"] as JsonArray ?? (JsonArray)(root["added_tokens"] = new JsonArray());
        var configPath = Path.Combine(dir, "tokenizer_config.json");
        var config = File.Exists(configPath) ? JsonNode.Parse(File.ReadAllText(configPath)) as JsonObject : null;
        var decoder = config is null ? null : config["added_tokens_decoder"] as JsonObject ?? (JsonObject)(config["added_tokens_decoder"] = new JsonObject());

        var ids = new int[tokens.Count];
        int next = existing.VocabSize;
        for (int i = 0; i < tokens.Count; i++)
        {
            if (existing.TokenToId(tokens[i]) is { } id) { ids[i] = id; continue; }
            ids[i] = next++;
            added.Add(new JsonObject
            {
                ["id"] = ids[i], ["content"] = tokens[i], ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
                ["normalized"] = false, ["special"] = true,
            });
            decoder?.Add(ids[i].ToString(System.Globalization.CultureInfo.InvariantCulture), new JsonObject
            {
                ["content"] = tokens[i], ["lstrip"] = false, ["normalized"] = false, ["rstrip"] = false, ["single_word"] = false, ["special"] = true,
            });
        }
        var options = new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        File.WriteAllText(jsonPath, root.ToJsonString(options));
        if (config is not null) File.WriteAllText(configPath, config.ToJsonString(options));
        var grown = TokenizerLoader.FromDirectory(dir);
        for (int i = 0; i < tokens.Count; i++)
            if (grown.Encode(tokens[i], addSpecialTokens: false) is not [var only] || only != ids[i])
                throw new QuantReasonException($"token '{tokens[i]}' does not encode to its new id {ids[i]} after adding it", jsonPath);
        return ids;
    }
}
