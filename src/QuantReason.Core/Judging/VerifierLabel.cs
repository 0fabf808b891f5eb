using System.Text.Json;
using System.Text.Json.Serialization;
using QuantReason.Data.StepMath;
using QuantReason.Evaluation.Runs;

namespace QuantReason.Judging;

/// <summary>The StepMath verifier's verdict as a labels.jsonl line of the run-directory schema.</summary>
public static class VerifierLabel
{
    public const string VerifierLabeller = "verifier";

    /// <summary>The verdict in both taxonomies; the verifier is exact, so its confidence is 1.</summary>
    public static LabelRecord From(string problemId, int sample, StepVerdict v, Taxonomy taxonomy)
    {
        var v1 = v.Error.V1Id();
        var v2 = v1 is null ? (v.Error == StepErrorType.FormatError ? Taxonomy.FormatError : null) : taxonomy.V2Of(v1).Id;
        var category = v1 is null ? null : taxonomy.CategoryOf(v2!);
        return new LabelRecord(problemId, sample, VerifierLabeller, v.NumSteps, v.FirstErrorStep, v2, v1, category, v.Explanation, 1.0);
    }
}
