using System.Text.Json.Serialization;

namespace QuantReason.Evaluation.Runs;

/// <summary>One judge's vote as recorded with a panel label: its step, type and reason, or an abstention.</summary>
public sealed record JudgeVote(
    [property: JsonPropertyName("judge")] string Judge,
    [property: JsonPropertyName("first_error_step")] int? FirstErrorStep,
    [property: JsonPropertyName("error_type")] string? ErrorType,
    [property: JsonPropertyName("reason")] string? Reason)
{
    [JsonIgnore] public bool Abstained => FirstErrorStep is null;
}
