using QuantReason.Data.StepMath;
using QuantReason.Tests;

namespace QuantReason.Tests.Data.StepMath;

public class WordProblemsTests
{
    [Theory]
    [InlineData("area 12x7", ProblemKind.Area, "12*7=84", 84)]
    [InlineData("peri 12x7", ProblemKind.Perimeter, "12+7=19 19*2=38", 38)]
    [InlineData("dist 45/h 3h", ProblemKind.Distance, "45*3=135", 135)]
    [InlineData("rate 135 3h", ProblemKind.Rate, "135/3=45", 45)]
    [InlineData("pct 25 of 80", ProblemKind.Percent, "25*80=2000 2000/100=20", 20)]
    [InlineData("off 25 of 80", ProblemKind.Discount, "25*80=2000 2000/100=20 80-20=60", 60)]
    [InlineData("area 12x7 3x4", ProblemKind.Area, "12*7=84 3*4=12 84+12=96", 96)]
    [InlineData("peri 12x7 3x4", ProblemKind.Perimeter, "12+7=19 3+4=7 19*2=38 7*2=14 38+14=52", 52)]
    [InlineData("dist 45/h 3h 30/h 2h", ProblemKind.Distance, "45*3=135 30*2=60 135+60=195", 195)]
    [InlineData("rest 100 3@12 5", ProblemKind.Change, "3*12=36 36+5=41 100-41=59", 59)]
    [InlineData("rest 100 3@12", ProblemKind.Change, "3*12=36 100-36=64", 64)]
    [InlineData("box 40 of 6", ProblemKind.Boxes, "40/6=6r4 6+1=7", 7)]
    [InlineData("box 36 of 6", ProblemKind.Boxes, "36/6=6", 6)]
    public void Each_template_compiles_to_its_formula(string text, ProblemKind kind, string steps, long answer)
    {
        var p = StepMathProblem.Parse(text);
        Assert.Equal(kind, p.Kind);
        Assert.Equal(steps, string.Join(' ', p.Steps.Select(s => s.Render())));
        Assert.Equal(answer, p.Answer);
        Assert.True(p.NonNegative);
    }

    [Fact]
    public void Renderers_write_what_the_compiler_reads()
    {
        Assert.Equal("area 3x4 5x6", WordProblems.Area((3, 4), (5, 6)));
        Assert.Equal(ProblemKind.Area, WordProblems.TryCompile(WordProblems.Area((3, 4)))!.Kind);
        Assert.Equal(ProblemKind.Perimeter, WordProblems.TryCompile(WordProblems.Perimeter((3, 4), (1, 2)))!.Kind);
        Assert.Equal("dist 45/h 3h 30/h 2h", WordProblems.Distance((45, 3), (30, 2)));
        Assert.Equal(ProblemKind.Discount, WordProblems.TryCompile(WordProblems.Discount(25, 80))!.Kind);
        Assert.Equal(ProblemKind.Rate, WordProblems.TryCompile(WordProblems.Rate(12, 4))!.Kind);
        Assert.Equal(ProblemKind.Percent, WordProblems.TryCompile(WordProblems.Percent(25, 80))!.Kind);
        Assert.Equal(ProblemKind.Boxes, WordProblems.TryCompile(WordProblems.Boxes(40, 6))!.Kind);
        Assert.Equal("rest 100 3@12 5", WordProblems.Change(100, [(3, 12), (null, 5)]));
    }

    [Fact]
    public void Wrong_formulas_are_the_neighbouring_concepts()
    {
        Assert.Equal(["(12+7)*2"], WordProblems.TryCompile("area 12x7")!.WrongFormulas);
        Assert.Equal(["12*7"], WordProblems.TryCompile("peri 12x7")!.WrongFormulas);
        Assert.Equal(["80*100/25"], WordProblems.TryCompile("pct 25 of 80")!.WrongFormulas);
        Assert.Equal(["80+25*80/100"], WordProblems.TryCompile("off 25 of 80")!.WrongFormulas);
        Assert.Equal(["12*7+3*4"], WordProblems.TryCompile("peri 12x7 3x4")!.WrongFormulas);
        Assert.Equal(["100-(3+12+5)"], WordProblems.TryCompile("rest 100 3@12 5")!.WrongFormulas);
        Assert.Empty(WordProblems.TryCompile("rest 100 5")!.WrongFormulas); // no product, nothing to misuse
        Assert.True(WordProblems.TryCompile("box 40 of 6")!.CeilDivision);
    }

    [Theory]
    [InlineData("area 12*7")]
    [InlineData("area 12x")]
    [InlineData("dist 45 3h")]
    [InlineData("dist 45/h 3h 30/h")]
    [InlineData("area 1x2 3x4 5x6")]
    [InlineData("off 120 of 80")]
    [InlineData("pct 25 80")]
    [InlineData("rest 100 3@")]
    [InlineData("box 40 of 0")]
    [InlineData("12+7")]
    public void Anything_else_is_not_a_word_problem(string text) => Assert.Null(WordProblems.TryCompile(text));
}
