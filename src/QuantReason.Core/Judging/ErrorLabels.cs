using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using QuantReason.Evaluation.Runs;

namespace QuantReason.Judging;

/// <summary>Labels as judges make them: a label from a judge's step and type (category from the taxonomy). Writing and
/// reading labels files belongs to the run directory (<see cref="LabelsWriter"/>, <see cref="RunDirectory.ReadLabelFile"/>).</summary>
public static class ErrorLabels
{
    internal static readonly JsonSerializerOptions Json = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };

    /// <summary>A label whose type is given in v2 (or v1, mapped through the crosswalk); category from the taxonomy.</summary>
    public static LabelRecord Of(string problemId, int sample, string labeller, IReadOnlyList<string> steps, int firstErrorStep,
        string? type, string explanation, double confidence, Taxonomy taxonomy)
    {
        var (v2, v1, category) = TaxonomyTypes.Resolve(type, taxonomy, labeller);
        if (firstErrorStep < 0) (v2, v1, category) = (null, null, null);
        return new LabelRecord(problemId, sample, labeller, steps.Count, firstErrorStep, v2, v1, category, explanation, confidence) { Steps = steps };
    }
}
