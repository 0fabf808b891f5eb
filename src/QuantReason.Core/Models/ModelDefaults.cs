using System.Text.Json;

namespace QuantReason.Models;

/// <summary>
/// What a model directory declares about how it is meant to be used, read from its optional <c>quantreason.json</c>:
/// the prompt it was trained with (eval's default <c>--prompt</c>) and a calibration source that fits its tokenizer
/// (quantize's default <c>--calib</c>, and the source of serve-bench's prompts). A Hugging Face checkpoint without the
/// file gets the toolkit's general defaults. Example (data/models/stepmath-ref):
/// <code>{"prompt": "step-tags", "calibration": {"source": "stepmath", "chat_template": true}}</code>
/// </summary>
public sealed record ModelDefaults(string? Prompt, string? CalibrationSource, bool CalibrationChatTemplate)
{
    public const string FileName = "quantreason.json";
    public static readonly ModelDefaults None = new(null, null, false);

    static readonly string[] Keys = ["prompt", "calibration"];
    static readonly string[] CalibrationKeys = ["source", "chat_template"];

    public static ModelDefaults Load(string modelDir)
    {
        var path = Path.Combine(modelDir, FileName);
        if (!File.Exists(path)) return None;
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllBytes(path)); }
        catch (JsonException e) { throw new QuantReasonException($"malformed JSON: {e.Message}", path); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new QuantReasonException("expected a JSON object", path);
            RefuseUnknown(root, Keys, "", path);
            string? prompt = root.TryGetProperty("prompt", out var p) ? String(p, "prompt", path) : null;
            string? source = null;
            bool chat = false;
            if (root.TryGetProperty("calibration", out var c))
            {
                if (c.ValueKind != JsonValueKind.Object) throw new QuantReasonException("'calibration' must be an object {source, chat_template}", path);
                RefuseUnknown(c, CalibrationKeys, "calibration.", path);
                source = c.TryGetProperty("source", out var s) ? String(s, "calibration.source", path)
                    : throw new QuantReasonException("'calibration' needs a 'source'", path);
                if (c.TryGetProperty("chat_template", out var t))
                    chat = t.ValueKind is JsonValueKind.True or JsonValueKind.False ? t.GetBoolean()
                        : throw new QuantReasonException("'calibration.chat_template' must be true or false", path);
                // a relative file source lives beside the model
                if (source.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || source.EndsWith(".txt", StringComparison.OrdinalIgnoreCase))
                    source = Path.GetFullPath(Path.Combine(modelDir, source));
            }
            return new ModelDefaults(prompt, source, chat);
        }
    }

    public void Write(string modelDir)
    {
        var o = new Dictionary<string, object>();
        if (Prompt is not null) o["prompt"] = Prompt;
        if (CalibrationSource is not null) o["calibration"] = new Dictionary<string, object> { ["source"] = CalibrationSource, ["chat_template"] = CalibrationChatTemplate };
        File.WriteAllText(Path.Combine(modelDir, FileName), JsonSerializer.Serialize(o, new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    static string String(JsonElement e, string key, string path) =>
        e.ValueKind == JsonValueKind.String && e.GetString() is { Length: > 0 } s ? s : throw new QuantReasonException($"'{key}' must be a non-empty string", path);

    static void RefuseUnknown(JsonElement o, string[] known, string prefix, string path)
    {
        foreach (var p in o.EnumerateObject())
            if (!known.Contains(p.Name))
                throw new QuantReasonException($"unknown key '{prefix}{p.Name}' (known: {string.Join(", ", known)})", path);
    }
}
