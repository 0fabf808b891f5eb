using QuantReason.Data.StepMath;
using QuantReason.Judging;
using QuantReason.Tests;

namespace QuantReason.Tests.Judging;

public class StepMutatorTests
{
    [Fact]
    public void Mutations_change_the_solution_and_are_reproducible()
    {
        var problems = new StepMathGenerator(8, new StepMathOptions { WordFraction = 0.5 }).Generate(StepMathSplit.Train, 500).Select(i => i.Problem).ToList();
        foreach (var type in Enum.GetValues<StepErrorType>().Where(t => t != StepErrorType.None))
        {
            var a = new StepRandom(5);
            var b = new StepRandom(5);
            foreach (var p in problems)
            {
                var m = StepMutator.Mutate(p, type, ref a);
                Assert.Equal(m, StepMutator.Mutate(p, type, ref b));
                if (m is null) continue;
                Assert.Equal(type, m.Type);
                Assert.NotEqual(p.Solution, m.Output);
                Assert.InRange(m.FirstErrorStep, 0, p.Level + 1);
            }
        }
    }

    [Fact]
    public void Word_only_types_apply_to_word_problems_only()
    {
        var rng = new StepRandom(1);
        var chain = StepMathProblem.Parse("2+3*4");
        Assert.Null(StepMutator.Mutate(chain, StepErrorType.FormulaMisuse, ref rng));
        Assert.Null(StepMutator.Mutate(chain, StepErrorType.BoundaryConditionError, ref rng));
        Assert.Null(StepMutator.Mutate(chain, StepErrorType.None, ref rng));
        Assert.NotNull(StepMutator.Mutate(StepMathProblem.Parse("peri 12x7"), StepErrorType.FormulaMisuse, ref rng));
        Assert.NotNull(StepMutator.Mutate(StepMathProblem.Parse("box 40 of 6"), StepErrorType.BoundaryConditionError, ref rng));
        Assert.NotNull(StepMutator.Mutate(StepMathProblem.Parse("rest 100 3@12"), StepErrorType.BoundaryConditionError, ref rng));
    }
}
