using System.Text.Json.Serialization;

namespace QuantReason.Evaluation.Runs;

/// <summary>
/// One line of labels.jsonl (data/schemas/run-directory.md): a labeller's first-error verdict on one sample. The optional
/// fields after <c>confidence</c> are the judging record: the steps the index refers to, whether the case was a conflict
/// settled by the baseline judge, and each judge's vote; the verifier leaves them out.
/// </summary>
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
    [property: JsonPropertyName("confidence")] double Confidence)
{
    [JsonPropertyName("steps"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Steps { get; init; }

    [JsonPropertyName("flagged"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Flagged { get; init; }

    [JsonPropertyName("votes"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<JudgeVote>? Votes { get; init; }

    [JsonIgnore] public (string ProblemId, int Sample) Key => (ProblemId, Sample);
    [JsonIgnore] public bool HasError => FirstErrorStep >= 0;
}
