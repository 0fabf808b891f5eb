using System.Text.Json;

namespace QuantReason.Tokenizers;

/// <summary>Reads a JSON file, turning a missing file or a syntax error into a <see cref="QuantReasonException"/> with file:line.</summary>
internal static class JsonFile
{
    public static JsonDocument Parse(string path)
    {
        if (!File.Exists(path)) throw new QuantReasonException("file not found", path);
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions
            {
                AllowTrailingCommas = true,
                CommentHandling = JsonCommentHandling.Skip,
                MaxDepth = 256,
            });
        }
        catch (JsonException e)
        {
            throw new QuantReasonException($"invalid JSON: {e.Message}", $"{path}:{(e.LineNumber ?? 0) + 1}", e);
        }
    }

    public static string? String(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString() : null;

    public static bool? Bool(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? v.GetBoolean() : null;

    public static JsonElement? Object(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? v : null;

    /// <summary>A token given either as a string or as an AddedToken object with "content".</summary>
    public static string? TokenContent(JsonElement obj, string name)
    {
        if (obj.ValueKind != JsonValueKind.Object || !obj.TryGetProperty(name, out var v)) return null;
        return v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Object => String(v, "content"),
            _ => null,
        };
    }
}
