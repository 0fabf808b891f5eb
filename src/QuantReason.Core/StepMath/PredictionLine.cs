using System.Text.Json;
using System.Text.Json.Serialization;

namespace QuantReason.StepMath;

/// <summary>The fields of a run's predictions.jsonl line (data/schemas/run-directory.md) that the verifier reads.</summary>
public sealed record PredictionLine(
    [property: JsonPropertyName("problem_id")] string ProblemId,
    [property: JsonPropertyName("sample")] int Sample,
    [property: JsonPropertyName("prompt")] string? Prompt,
    [property: JsonPropertyName("output")] string Output,
    [property: JsonPropertyName("subject")] string? Subject = null,
    [property: JsonPropertyName("level")] int? Level = null)
{
    /// <summary>Reads predictions.jsonl; a malformed line is an error naming file:line.</summary>
    public static IEnumerable<(PredictionLine Line, string Where)> Read(string path)
    {
        if (!File.Exists(path)) throw new QuantReasonException("predictions file not found", path);
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var where = $"{path}:{lineNo}";
            PredictionLine? p;
            try { p = JsonSerializer.Deserialize<PredictionLine>(line); }
            catch (JsonException e) { throw new QuantReasonException($"invalid JSON: {e.Message}", where, e); }
            if (p?.ProblemId is null) throw new QuantReasonException("line lacks 'problem_id'", where);
            if (p.Output is null) throw new QuantReasonException("line lacks 'output'", where);
            yield return (p, where);
        }
    }
}
