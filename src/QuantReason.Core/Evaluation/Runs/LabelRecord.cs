using System.Text.Json.Serialization;

namespace QuantReason.Evaluation.Runs;

/// <summary>One line of labels.jsonl (data/schemas/run-directory.md): a labeller's first-error verdict on one sample.</summary>
public sealed record LabelRecord(
    [property: JsonPropertyName("problem_id")] string ProblemId,
    [property: JsonPropertyName("sample")] int Sample,
    [property: JsonPropertyName("labeller")] string Labeller,
    [property: JsonPropertyName("num_steps")] int NumSteps,
    [property: JsonPropertyName("first_error_step")] int FirstErrorStep,
    [property: JsonPropertyName("error_type")] string? ErrorType,
    [property: JsonPropertyName("error_type_v1")] string? ErrorTypeV1,
    [property: JsonPropertyName("category")] string? Category,
    [property: JsonPropertyName("explanation")] string Explanation,
    [property: JsonPropertyName("confidence")] double Confidence);
