using QuantReason.Data.StepMath;
using QuantReason.Judging;
using QuantReason.Training;

namespace QuantReason.Tests.Judging;

public class RolloutRewardTests
{
    const string Gold = "<|step_start|>48+27=75<|step_end|><|answer_start|>\\boxed{75}<|answer_end|>";

    [Theory]
    // output, verifier reward, grader reward, format kept
    [InlineData(Gold, 1.25f, 1.25f, true)]
    [InlineData("<|step_start|>48+27=76<|step_end|><|answer_start|>\\boxed{75}<|answer_end|>", 0.25f, 1.25f, true)]  // a wrong step, the right answer
    [InlineData("<|step_start|>48+27=75<|step_end|><|answer_start|>\\boxed{74}<|answer_end|>", 0.25f, 0.25f, true)]  // a wrong answer
    [InlineData("<|step_start|>48+27=75<|answer_start|>\\boxed{75}<|answer_end|>", 0f, 1f, false)]                    // an unclosed step
    [InlineData("75", 0f, 1f, false)]                                                                                   // a bare answer: the grader extracts it
    [InlineData("no answer", 0f, 0f, false)]
    public void Reward_is_correctness_by_the_source_plus_the_format_weight(string output, float verifier, float grader, bool format)
    {
        var problem = StepMathProblem.Parse("48+27");
        var v = RolloutReward.Score(GrpoRewardSource.Verifier, Gold, problem, output, 0.25f);
        var g = RolloutReward.Score(GrpoRewardSource.Grader, Gold, null, output, 0.25f);
        Assert.Equal((verifier, grader, format, format), (v.Reward, g.Reward, v.FormatKept, g.FormatKept));
    }

    [Fact]
    public void Every_mutation_of_the_verifier_tests_loses_the_verifier_reward()
    {
        // The StepMutator's labelled errors: whatever the type, the verifier reward is 0 and the canonical solution's is 1.
        var rng = new StepRandom(7);
        int checkedCount = 0;
        foreach (var item in new StepMathGenerator(3).Generate(StepMathSplit.Test, 40))
        {
            Assert.True(RolloutReward.Score(GrpoRewardSource.Verifier, item.Problem.Solution, item.Problem, item.Problem.Solution, 0).Correct);
            foreach (var type in Enum.GetValues<StepErrorType>().Where(t => t != StepErrorType.None))
                if (StepMutator.Mutate(item.Problem, type, ref rng) is { } m)
                {
                    Assert.False(RolloutReward.Score(GrpoRewardSource.Verifier, item.Problem.Solution, item.Problem, m.Output, 0).Correct, $"{type}: {m.Output}");
                    checkedCount++;
                }
        }
        Assert.True(checkedCount > 100, $"only {checkedCount} mutations");
    }

    [Fact]
    public void The_verifier_reward_without_a_stepmath_problem_is_one_clear_error()
    {
        var e = Assert.Throws<QuantReasonException>(() => RolloutReward.Score(GrpoRewardSource.Verifier, Gold, null, Gold, 0));
        Assert.Contains("reward: grader", e.Message);
    }
}
