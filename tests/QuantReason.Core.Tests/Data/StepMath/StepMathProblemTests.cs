using QuantReason.Data.StepMath;
using QuantReason.Tests;

namespace QuantReason.Tests.Data.StepMath;

public class StepMathProblemTests
{
    [Fact]
    public void Givens_hold_the_problems_numbers_and_formula_constants()
    {
        Assert.Equal(new HashSet<long> { 2, 3, 4 }, StepMathProblem.Parse("2+3*4").Givens);
        Assert.Equal(new HashSet<long> { 12, 7, 2 }, StepMathProblem.Parse("area 12x7").Givens); // the 2 of the perimeter it might use
        Assert.Equal(new HashSet<long> { 36, 6, 1 }, StepMathProblem.Parse("box 36 of 6").Givens);
    }

    [Fact]
    public void Arithmetic_chains_are_signed_and_have_no_wrong_formula()
    {
        var p = StepMathProblem.Parse("2-3*4");
        Assert.Equal((ProblemKind.Arithmetic, "arithmetic", -10L, 2), (p.Kind, p.Subject, p.Answer, p.Level));
        Assert.False(p.NonNegative);
        Assert.Empty(p.WrongFormulas);
        Assert.Equal("<|step_start|>3*4=12<|step_end|><|step_start|>2-12=-10<|step_end|><|answer_start|>\\boxed{-10}<|answer_end|>", p.Solution);
    }

    [Theory]
    [InlineData("what is 2+3")]
    [InlineData("42")]
    [InlineData("2+3=")]
    [InlineData("2/3")]
    public void Other_text_is_rejected_with_its_location(string text)
    {
        var e = Assert.Throws<QuantReasonException>(() => StepMathProblem.Parse(text, "data.jsonl:3"));
        Assert.Equal("data.jsonl:3", e.Where);
    }
}
