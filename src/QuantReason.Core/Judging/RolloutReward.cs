using QuantReason.Data.StepMath;
using QuantReason.Evaluation;
using QuantReason.Training;

namespace QuantReason.Judging;

/// <summary>One sampled completion's reward and the two facts it is made of.</summary>
public sealed record RolloutScore(float Reward, bool Correct, bool FormatKept);

/// <summary>
/// The reward of an RL rollout: 1 when correct — by the StepMath first-error verifier (every step valid and the answer
/// right) or by the equivalence grader (the boxed answer equals the gold one, whatever the steps) — plus
/// <c>formatWeight</c> when the step-tag format is kept (every step closed and <c>a op b = c</c>, a boxed integer answer).
/// </summary>
public static class RolloutReward
{
    public static RolloutScore Score(GrpoRewardSource source, string gold, StepMathProblem? problem, string completion, float formatWeight)
    {
        var parsed = SolutionFormat.Parse(completion);
        bool format = FormatKept(parsed);
        bool correct = source switch
        {
            GrpoRewardSource.Verifier => StepVerifier.Verify(problem ?? throw new QuantReasonException(
                "the verifier reward needs a StepMath problem (use reward: grader for other data)", "grpo.reward"), parsed).IsCorrect,
            GrpoRewardSource.Grader => AnswerGrading.Grade(gold, completion).Correct,
            _ => throw new ArgumentOutOfRangeException(nameof(source), source, null),
        };
        return new RolloutScore((correct ? 1f : 0f) + (format ? formatWeight : 0f), correct, format);
    }

    public static bool FormatKept(ParsedOutput parsed) =>
        parsed.HasAnswerSegment && parsed.Answer is not null && parsed.Steps.All(s => s.Terminated && Step.TryParse(s.Text, out _));
}
