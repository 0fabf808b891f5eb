using System.Text.Json;

namespace QuantReason.Tokenizers;

/// <summary>Reads a JSON file, turning a missing file or a syntax error into a <see cref="QuantReasonException"/> with file:line.</summary>
internal static class JsonFile
{
    public static JsonDocument Parse(string path)
    {
        if (!File.Exists(path)) throw new QuantReasonException("file not found", path);
        return JsonInput.Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>The items of an array field; a missing field has none, any other type is an error naming the field.</summary>
    public static IEnumerable<JsonElement> Items(JsonElement obj, string name, string path)
    {
        if (obj.ValueKind != JsonValueKind.Object || !obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return [];
        return v.ValueKind == JsonValueKind.Array ? v.EnumerateArray()
            : throw new QuantReasonException($"\"{name}\" must be an array, found {v.ValueKind}", path);
    }

    /// <summary>A 32-bit integer value, or null for any other value (a fraction, a string, a number out of range).</summary>
    public static int? Int(JsonElement value) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var i) ? i : null;

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
