using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using QuantReason.Data.StepMath;
using QuantReason.Jobs;

namespace QuantReason.Judging;

/// <summary>One judge's vote as recorded with a panel label: its step, type and reason, or an abstention.</summary>
public sealed record JudgeVote(
    [property: JsonPropertyName("judge")] string Judge,
    [property: JsonPropertyName("first_error_step")] int? FirstErrorStep,
    [property: JsonPropertyName("error_type")] string? ErrorType,
    [property: JsonPropertyName("reason")] string? Reason)
{
    [JsonIgnore] public bool Abstained => FirstErrorStep is null;
}

/// <summary>
/// One labels.jsonl line of the run-directory schema (data/schemas/run-directory.md), as any labeller writes it. The
/// optional fields after <c>confidence</c> are the judging record: the steps the index refers to, whether the case was a
/// conflict settled by the baseline judge, and each judge's vote. Readers of the schema ignore them.
/// </summary>
public sealed record ErrorLabel(
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

    internal static readonly JsonSerializerOptions Json = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };

    public string ToJsonLine() => JsonSerializer.Serialize(this, Json);

    /// <summary>A label whose type is given in v2 (or v1, mapped through the crosswalk); category from the taxonomy.</summary>
    public static ErrorLabel Of(string problemId, int sample, string labeller, IReadOnlyList<string> steps, int firstErrorStep,
        string? type, string explanation, double confidence, Taxonomy taxonomy)
    {
        var (v2, v1, category) = TaxonomyTypes.Resolve(type, taxonomy, labeller);
        if (firstErrorStep < 0) (v2, v1, category) = (null, null, null);
        return new ErrorLabel(problemId, sample, labeller, steps.Count, firstErrorStep, v2, v1, category, explanation, confidence) { Steps = steps };
    }

    /// <summary>Reads a labels.jsonl file; a line lacking a required field, or with a step outside its solution, is an error naming file:line.</summary>
    public static IEnumerable<ErrorLabel> Read(string path) =>
        JsonLines.Read<ErrorLabel>(path, "labels", l =>
            l.ProblemId is null ? "problem_id" : l.Labeller is null ? "labeller" : l.Explanation is null ? "explanation"
            : l.FirstErrorStep < -1 || (l.NumSteps > 0 && l.FirstErrorStep > l.NumSteps) ? $"a first_error_step within -1..{l.NumSteps} (has {l.FirstErrorStep})"
            : null, Json).Select(r => r.Record);
}
