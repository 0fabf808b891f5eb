using Xunit.Abstractions;
using QuantReason.Data.StepMath;
using QuantReason.Judging;
using QuantReason.Tests;

namespace QuantReason.Tests.Judging;

public class StepVerifierTests(ITestOutputHelper output)
{
    static StepVerdict V(string problem, string solution) => StepVerifier.Verify(StepMathProblem.Parse(problem), solution);

    static string S(params string[] steps) =>
        string.Concat(steps[..^1].Select(s => $"<|step_start|>{s}<|step_end|>")) + $"<|answer_start|>\\boxed{{{steps[^1]}}}<|answer_end|>";

    // The acceptance test: thousands of seeded mutations of each type, labelled with the right type and step.
    [Fact]
    public void Mutations_of_every_type_get_their_label_and_step_index_at_least_99_percent()
    {
        var generator = new StepMathGenerator(seed: 11, new StepMathOptions { WordFraction = 0.5 });
        var problems = generator.Generate(StepMathSplit.Validation, 5000).Select(i => i.Problem).ToList();
        var rng = new StepRandom(2024);
        foreach (var type in Enum.GetValues<StepErrorType>().Where(t => t != StepErrorType.None))
        {
            int made = 0, right = 0;
            var wrongExamples = new List<string>();
            foreach (var p in problems)
            {
                if (StepMutator.Mutate(p, type, ref rng) is not { } m) continue;
                made++;
                var v = StepVerifier.Verify(p, m.Output);
                if (v.Error == m.Type && v.FirstErrorStep == m.FirstErrorStep) right++;
                else if (wrongExamples.Count < 5)
                    wrongExamples.Add($"{p.Text} | {m.Output} | expected {m.Type}@{m.FirstErrorStep}, got {v.Error}@{v.FirstErrorStep}: {v.Explanation}");
            }
            output.WriteLine($"{type}: {right}/{made} = {right / (double)made:P2}");
            foreach (var w in wrongExamples) output.WriteLine("  " + w);
            Assert.True(made >= 1000, $"{type}: only {made} mutations");
            Assert.True(right >= 0.99 * made, $"{type}: {right}/{made} labelled right\n{string.Join('\n', wrongExamples)}");
        }
    }

    [Fact]
    public void Correct_solutions_get_no_error()
    {
        foreach (var split in Enum.GetValues<StepMathSplit>())
            foreach (var item in new StepMathGenerator(5).Generate(split, 3000))
            {
                var v = StepVerifier.Verify(item.Problem, item.Problem.Solution);
                Assert.True(v.IsCorrect, $"{item.Problem.Text}: {v.Error}@{v.FirstErrorStep} {v.Explanation}");
                Assert.Equal(-1, v.FirstErrorStep);
                Assert.Equal(item.Level, v.NumSteps);
            }
    }

    [Fact]
    public void Any_valid_order_and_operand_order_is_accepted()
    {
        Assert.True(V("2*3+4*5", S("4*5=20", "3*2=6", "6+20=26", "26")).IsCorrect);
        Assert.True(V("peri 12x7", S("7+12=19", "2*19=38", "38")).IsCorrect);
        // a repeated step is harmless
        Assert.True(V("9-1-1", S("9-1=8", "9-1=8", "8-1=7", "7")).IsCorrect);
        // a right answer with skipped steps is not an error
        Assert.True(V("2*3+4", S("10")).IsCorrect);
    }

    [Theory]
    [InlineData("2+3*4", "2+3*4=14|14", StepErrorType.FormatError, 0)]
    [InlineData("2+3*4", "3*4=12|2+12=14|14.0", StepErrorType.FormatError, 2)]
    [InlineData("2+3*4", "3*4=13|2+13=15|15", StepErrorType.ComputationError, 0)]
    [InlineData("2+3*4", "3*4=12|2+13=15|15", StepErrorType.MisunderstandingOfProblem, 1)]
    [InlineData("2+3*4-5*6", "3*4=12|2+12=14|14-30=-16|-16", StepErrorType.StepOmission, 2)]
    [InlineData("2+3*4", "3*5=15|2+15=17|17", StepErrorType.MisunderstandingOfProblem, 0)]
    [InlineData("2-3*4", "3*4=12|2-12=-10|-10+7=-3|-3", StepErrorType.MisunderstandingOfProblem, 2)]
    [InlineData("2-3*4+5", "3*4=12|2-12=-10|10+5=15|15", StepErrorType.SymbolError, 2)]
    [InlineData("2+3*4", "3+4=7|2+7=9|9", StepErrorType.SymbolError, 0)]
    [InlineData("9-3*2", "3*2=6|6-9=-3|-3", StepErrorType.SymbolError, 1)]
    [InlineData("2+3*4", "2+3=5|5*4=20|20", StepErrorType.LogicalError, 0)]
    [InlineData("10-3-2", "3-2=1|10-1=9|9", StepErrorType.LogicalError, 0)]
    [InlineData("area 12x7", "12+7=19|19*2=38|38", StepErrorType.FormulaMisuse, 0)]
    [InlineData("pct 25 of 80", "80*100=8000|8000/25=320|320", StepErrorType.FormulaMisuse, 0)]
    [InlineData("rest 100 3@12", "3+12=15|100-15=85|85", StepErrorType.FormulaMisuse, 0)]
    [InlineData("rest 100 3@12", "3*12=36|36-100=-64|-64", StepErrorType.BoundaryConditionError, 1)]
    [InlineData("box 40 of 6", "40/6=6|6+1=7|7", StepErrorType.BoundaryConditionError, 0)]
    [InlineData("box 40 of 6", "40/6=6r4|6", StepErrorType.BoundaryConditionError, 1)]
    [InlineData("box 36 of 6", "36/6=6|6+1=7|7", StepErrorType.BoundaryConditionError, 1)]
    [InlineData("box 40 of 6", "40/6=6r3|6+1=7|7", StepErrorType.ComputationError, 0)]
    [InlineData("2+3*4", "3*4=12|2+12=14|x", StepErrorType.FormatError, 2)]
    [InlineData("2+3*4", "3*4=12|12", StepErrorType.StepOmission, 1)]
    [InlineData("2+3*4", "3*4=12|2+12=14|12", StepErrorType.LogicalError, 2)]
    [InlineData("2+3*4", "3*4=12|2+12=14|41", StepErrorType.SymbolError, 2)]
    public void Each_rule_labels_its_case(string problem, string solution, StepErrorType expected, int step)
    {
        var v = V(problem, S(solution.Split('|')));
        Assert.Equal((expected, step), (v.Error, v.FirstErrorStep));
    }

    [Fact]
    public void A_step_cut_short_is_a_format_error_at_that_step()
    {
        var v = V("2+3*4", "<|step_start|>3*4=12<|step_end|><|step_start|>2+12=14");
        Assert.Equal((StepErrorType.FormatError, 1, 2), (v.Error, v.FirstErrorStep, v.NumSteps));
    }

    [Fact]
    public void A_missing_answer_is_a_format_error_at_the_answer()
    {
        var v = V("2+3*4", "<|step_start|>3*4=12<|step_end|><|step_start|>2+12=14<|step_end|>");
        Assert.Equal((StepErrorType.FormatError, 2, 2), (v.Error, v.FirstErrorStep, v.NumSteps));
        Assert.Equal(StepErrorType.FormatError, V("2+3*4", "the answer is 14").Error);
    }
}
