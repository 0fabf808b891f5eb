using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using QuantReason.Data.StepMath;
using QuantReason.Evaluation.Runs;

namespace QuantReason.Judging;

/// <summary>Labels as judges write them: a label from a judge's step and type (category from the taxonomy), its JSON line,
/// and the checked reading of a labels file.</summary>
public static class ErrorLabels
{
    internal static readonly JsonSerializerOptions Json = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };

    public static string ToJsonLine(this LabelRecord label) => JsonSerializer.Serialize(label, Json);

    /// <summary>A label whose type is given in v2 (or v1, mapped through the crosswalk); category from the taxonomy.</summary>
    public static LabelRecord Of(string problemId, int sample, string labeller, IReadOnlyList<string> steps, int firstErrorStep,
        string? type, string explanation, double confidence, Taxonomy taxonomy)
    {
        var (v2, v1, category) = TaxonomyTypes.Resolve(type, taxonomy, labeller);
        if (firstErrorStep < 0) (v2, v1, category) = (null, null, null);
        return new LabelRecord(problemId, sample, labeller, steps.Count, firstErrorStep, v2, v1, category, explanation, confidence) { Steps = steps };
    }

    /// <summary>Reads a labels.jsonl file; a line lacking a required field, or with a step outside its solution, is an error naming file:line.</summary>
    public static IEnumerable<LabelRecord> Read(string path) =>
        JsonLines.Read<LabelRecord>(path, "labels", l =>
            l.ProblemId is null ? "problem_id" : l.Labeller is null ? "labeller" : l.Explanation is null ? "explanation"
            : l.FirstErrorStep < -1 || (l.NumSteps > 0 && l.FirstErrorStep > l.NumSteps) ? $"a first_error_step within -1..{l.NumSteps} (has {l.FirstErrorStep})"
            : null, Json).Select(r => r.Record);
}
