using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace QuantReason.Data.StepMath;

/// <summary>One dataset line, with MATH-500's field names so the evaluators load StepMath like MATH.</summary>
public sealed record StepMathRecord(
    [property: JsonPropertyName("problem")] string Problem,
    [property: JsonPropertyName("solution")] string Solution,
    [property: JsonPropertyName("answer")] string Answer,
    [property: JsonPropertyName("subject")] string Subject,
    [property: JsonPropertyName("level")] int Level,
    [property: JsonPropertyName("unique_id")] string UniqueId)
{
    public static StepMathRecord From(StepMathItem item) => new(
        item.Problem.Text, item.Problem.Solution, item.Problem.Answer.ToString(CultureInfo.InvariantCulture),
        item.Problem.Subject, item.Level, item.UniqueId);
}

/// <summary>Reads and writes StepMath JSONL. Tags and backslashes stay readable (no \u003C escapes).</summary>
public static class StepMathJsonl
{
    public static readonly JsonSerializerOptions Json = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>Writes the items, one flushed line each, and returns how many were written.</summary>
    public static int Write(Stream stream, IEnumerable<StepMathItem> items, IProgressSink? progress = null)
    {
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = Json.Encoder, SkipValidation = true });
        int n = 0;
        foreach (var item in items)
        {
            var p = item.Problem;
            writer.WriteStartObject();
            writer.WriteString("problem", p.Text);
            writer.WriteString("solution", p.Solution);
            writer.WriteString("answer", p.Answer.ToString(CultureInfo.InvariantCulture));
            writer.WriteString("subject", p.Subject);
            writer.WriteNumber("level", item.Level);
            writer.WriteString("unique_id", item.UniqueId);
            writer.WriteEndObject();
            writer.Flush();
            stream.WriteByte((byte)'\n');
            writer.Reset();
            if (++n % 10_000 == 0) progress?.Advance(10_000);
        }
        progress?.Advance(n % 10_000);
        return n;
    }

    /// <summary>Reads a StepMath JSONL file; a malformed line or one without a solution is an error naming file:line.</summary>
    public static IEnumerable<StepMathRecord> Read(string path) =>
        JsonLines.Read<StepMathRecord>(path, "dataset",
                r => r.Problem is null ? "problem" : r.UniqueId is null ? "unique_id" : r.Solution is null ? "solution" : null, Json)
            .Select(r => r.Record);
}
