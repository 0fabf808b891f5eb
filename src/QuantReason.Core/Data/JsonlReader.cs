using System.Text.Json;
using QuantReason.Evaluation;

namespace QuantReason.Data;

/// <summary>One parsed line of a JSON Lines file; <see cref="Line"/> is 1-based so messages match editors.</summary>
public sealed record JsonlLine(int Line, JsonElement Value);

/// <summary>What reading a JSON Lines file produced: the good lines and one warning per skipped line.</summary>
public sealed record JsonlReadResult(string Path, IReadOnlyList<JsonlLine> Lines, IReadOnlyList<string> Warnings);

/// <summary>
/// Reads JSON Lines where every line must be a JSON object. A malformed line is never silently dropped: it is either
/// reported as a warning naming file and line (lenient) or raised as a <see cref="QuantReasonException"/> (strict).
/// </summary>
public static class JsonlReader
{
    public static JsonlReadResult Read(string path, bool strict = false)
    {
        if (!File.Exists(path)) throw new QuantReasonException("file not found", path);
        using var reader = new StreamReader(path, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return Read(reader, path, strict);
    }

    /// <summary>Reads from any text source; <paramref name="name"/> is what messages call it.</summary>
    public static JsonlReadResult Read(TextReader reader, string name, bool strict = false)
    {
        var lines = new List<JsonlLine>();
        var warnings = new List<string>();
        var number = 0;
        while (reader.ReadLine() is { } text)
        {
            number++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            string? problem = null;
            JsonElement value = default;
            try
            {
                using var doc = JsonDocument.Parse(text);
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                    problem = $"expected a JSON object, found {doc.RootElement.ValueKind}";
                else
                    value = doc.RootElement.Clone();
            }
            catch (JsonException e)
            {
                problem = $"malformed JSON ({e.Message.Split(" Path:")[0].TrimEnd('.')})";
            }
            if (problem is null) { lines.Add(new JsonlLine(number, value)); continue; }
            var where = $"{name}:{number}";
            if (strict) throw new QuantReasonException(problem, where);
            warnings.Add($"{where}: {problem}; line skipped");
        }
        return new JsonlReadResult(name, lines, warnings);
    }
}
