using QuantReason.Evaluation.Runs;
namespace QuantReason.Judging;

/// <summary>
/// A labeller against the StepMath verifier on the same solutions: the first error step found exactly, its type (where
/// the verifier found an error), the confusion of categories (rows: verifier, columns: labeller; "none" for no error,
/// "format" for a format error), and the computational first errors the labeller found exactly (same step, same type).
/// </summary>
public sealed record VerifierAgreement(
    int Compared, int StepHits, int Erroneous, int TypeHits,
    IReadOnlyDictionary<(string Verifier, string Labeller), int> Confusion,
    int Computational, int ComputationalFound, int LabelledComputational, int LabelledComputationalRight, int Missing)
{
    public const string None = "none";
    public const string Format = "format";

    public static readonly IReadOnlyList<string> Classes = ["conceptual", "method", "execution", "reasoning", Format, None];

    public double StepAccuracy => Compared == 0 ? 0 : (double)StepHits / Compared;
    public double TypeAccuracy => Erroneous == 0 ? 0 : (double)TypeHits / Erroneous;
    /// <summary>Of the verifier's computational first errors, the share found at the same step with the same type.</summary>
    public double ComputationalRecall => Computational == 0 ? 0 : (double)ComputationalFound / Computational;
    /// <summary>Of the labeller's computational labels, the share the verifier agrees with exactly.</summary>
    public double ComputationalPrecision => LabelledComputational == 0 ? 0 : (double)LabelledComputationalRight / LabelledComputational;

    public static string ClassOf(LabelRecord l) =>
        !l.HasError ? None : l.ErrorType == Taxonomy.FormatError ? Format : l.Category ?? None;

    /// <summary>Pairs each reference label with the labeller's label of the same (problem_id, sample); unlabelled ones count as missing.</summary>
    public static VerifierAgreement Of(IEnumerable<LabelRecord> verifier, IEnumerable<LabelRecord> labeller)
    {
        var mine = new Dictionary<(string, int), LabelRecord>();
        foreach (var l in labeller) mine[l.Key] = l;
        int compared = 0, stepHits = 0, erroneous = 0, typeHits = 0, comp = 0, compFound = 0, labelledComp = 0, labelledCompRight = 0, missing = 0;
        var confusion = new Dictionary<(string, string), int>();
        foreach (var v in verifier)
        {
            if (!mine.TryGetValue(v.Key, out var l)) { missing++; continue; }
            compared++;
            bool sameStep = l.FirstErrorStep == v.FirstErrorStep;
            if (sameStep) stepHits++;
            if (v.HasError)
            {
                erroneous++;
                if (l.ErrorType == v.ErrorType) typeHits++;
            }
            var key = (ClassOf(v), ClassOf(l));
            confusion[key] = confusion.GetValueOrDefault(key) + 1;
            bool vComp = v.HasError && v.ErrorType == "computational_error", lComp = l.HasError && l.ErrorType == "computational_error";
            if (vComp) { comp++; if (lComp && sameStep) compFound++; }
            if (lComp) { labelledComp++; if (vComp && sameStep) labelledCompRight++; }
        }
        return new VerifierAgreement(compared, stepHits, erroneous, typeHits, confusion, comp, compFound, labelledComp, labelledCompRight, missing);
    }
}
