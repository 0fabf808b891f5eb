using QuantReason.Evaluation.Equivalence;

namespace QuantReason.Tests.Evaluation.Equivalence;

public class AnswerParserTests
{
    [Theory]
    [InlineData("3", typeof(ScalarAnswer))]
    [InlineData(@"\frac{3\sqrt{3}}{4}", typeof(ScalarAnswer))]
    [InlineData("x=5", typeof(ScalarAnswer))]
    [InlineData("f(x)=2x+1", typeof(ScalarAnswer))]
    [InlineData("(6,31,-1)", typeof(BracketedAnswer))]
    [InlineData("(3,4]", typeof(BracketedAnswer))]
    [InlineData(@"x \in [-2,7]", typeof(BracketedAnswer))]
    [InlineData(@"x \le 5", typeof(BracketedAnswer))]
    [InlineData("1 < x < 4", typeof(BracketedAnswer))]
    [InlineData("1,-2", typeof(SetAnswer))]
    [InlineData(@"\{1\pm\sqrt{5},-2\}", typeof(SetAnswer))]
    [InlineData(@"1 \pm \sqrt{19}", typeof(SetAnswer))]
    [InlineData(@"\emptyset", typeof(SetAnswer))]
    [InlineData(@"(-\infty, 2) \cup (3, \infty)", typeof(UnionAnswer))]
    [InlineData(@"\begin{pmatrix} -1 & 0 \\ 0 & -1 \end{pmatrix}", typeof(MatrixAnswer))]
    [InlineData("5x - 7y + 11z + 4 = 0", typeof(EquationAnswer))]
    [InlineData(@"\text{east}", typeof(TextAnswer))]
    [InlineData("ellipse", typeof(TextAnswer))]
    [InlineData(@"\text{1:03 PM}", typeof(TextAnswer))]
    [InlineData(@"\text{(C)}", typeof(ChoiceAnswer))]
    [InlineData("52_8", typeof(BaseNumeralAnswer))]
    [InlineData("4210_{5}", typeof(BaseNumeralAnswer))]
    [InlineData("3:1", typeof(ScalarAnswer))]
    [InlineData(@"\overline{CD}", typeof(UnparsedAnswer))]
    [InlineData(@"\frac{1", typeof(UnparsedAnswer))]
    [InlineData("", typeof(UnparsedAnswer))]
    public void Recognises_the_kind_of_answer(string raw, Type kind) => Assert.IsType(kind, AnswerParser.Parse(raw));

    [Fact]
    public void Pm_expands_into_both_values()
    {
        var set = Assert.IsType<SetAnswer>(AnswerParser.Parse(@"3 \pm 2 \sqrt{2}"));
        Assert.Equal(2, set.Items.Count);
    }

    [Fact]
    public void Inequalities_become_intervals_with_the_right_ends()
    {
        var i = Assert.IsType<BracketedAnswer>(AnswerParser.Parse(@"-2 \le x < 5"));
        Assert.Equal(('[', ')'), (i.Open, i.Close));
        var j = Assert.IsType<BracketedAnswer>(AnswerParser.Parse("x > 3"));
        Assert.Equal(('(', ')'), (j.Open, j.Close));
    }

    [Fact]
    public void Digits_invalid_in_the_base_are_not_a_numeral()
    {
        Assert.IsNotType<BaseNumeralAnswer>(AnswerParser.Parse("29_8"));
    }
}
