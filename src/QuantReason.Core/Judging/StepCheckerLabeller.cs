using QuantReason.Evaluation.Runs;
using QuantReason.Data.StepMath;

namespace QuantReason.Judging;

/// <summary>The step checker as a labeller: a computational error at the first false equality, else no error found.</summary>
public static class StepCheckerLabeller
{
    public static LabelRecord Label(JudgeCase c, Taxonomy taxonomy)
    {
        var check = StepChecker.Check(c.Steps);
        // exact when it flags; when it does not, it only knows no equality it could read is false
        return ErrorLabels.Of(c.ProblemId, c.Sample, StepChecker.Name, c.Steps, check.FirstErrorStep,
            check.FoundError ? "computational_error" : null, check.Explanation, check.FoundError ? 1.0 : 0.5, taxonomy);
    }
}
