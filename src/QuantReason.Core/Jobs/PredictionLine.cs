using System.Text.Json.Serialization;
using QuantReason.Data.StepMath;

namespace QuantReason.Jobs;

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
    public static IEnumerable<(PredictionLine Line, string Where)> Read(string path) =>
        JsonLines.Read<PredictionLine>(path, "predictions", p => p.ProblemId is null ? "problem_id" : p.Output is null ? "output" : null);
}
