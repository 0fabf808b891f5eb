using System.Text.Json;
using System.Text.Json.Serialization;
using QuantReason.Data.StepMath;

namespace QuantReason.Judging;

/// <summary>One labels.jsonl line of the run-directory schema, written by the StepMath verifier.</summary>
public sealed record VerifierLabel(
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
    public const string VerifierLabeller = "verifier";

    /// <summary>The verdict in both taxonomies; the verifier is exact, so its confidence is 1.</summary>
    public static VerifierLabel From(string problemId, int sample, StepVerdict v, Taxonomy taxonomy)
    {
        var v1 = v.Error.V1Id();
        var v2 = v1 is null ? (v.Error == StepErrorType.FormatError ? Taxonomy.FormatError : null) : taxonomy.V2Of(v1).Id;
        var category = v1 is null ? null : taxonomy.CategoryOf(v2!);
        return new VerifierLabel(problemId, sample, VerifierLabeller, v.NumSteps, v.FirstErrorStep, v2, v1, category, v.Explanation, 1.0);
    }

    public string ToJsonLine() => JsonSerializer.Serialize(this, StepMathJsonl.Json);
}
