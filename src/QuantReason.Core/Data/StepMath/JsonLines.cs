using System.Text.Json;

namespace QuantReason.Data.StepMath;

/// <summary>
/// Reads a JSON Lines file one record at a time. Blank lines are skipped; a line that is not valid JSON, or that
/// <paramref name="missing"/> finds a required field absent from, is an error naming <c>file:line</c>.
/// </summary>
static class JsonLines
{
    public static IEnumerable<(T Record, string Where)> Read<T>(string path, string what, Func<T, string?> missing, JsonSerializerOptions? options = null)
        where T : class
    {
        if (!File.Exists(path)) throw new QuantReasonException($"{what} file not found", path);
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var where = $"{path}:{lineNo}";
            T? record;
            try { record = JsonSerializer.Deserialize<T>(line, options); }
            catch (JsonException e) { throw new QuantReasonException($"invalid JSON: {e.Message}", where, e); }
            if (record is null) throw new QuantReasonException("line is null", where);
            if (missing(record) is { } field) throw new QuantReasonException($"line lacks '{field}'", where);
            yield return (record, where);
        }
    }
}
