using QuantReason.Evaluation.Equivalence;

namespace QuantReason.Tests.Evaluation.Equivalence;

public class LatexExpressionParserTests
{
    static Rational? R(string latex) => LatexExpressionParser.Parse(latex).Value.AsRational;

    [Theory]
    [InlineData(@"\frac12", 1, 2)]
    [InlineData(@"\frac{3}{4}", 3, 4)]
    [InlineData(@"1\frac45", 9, 5)]
    [InlineData(@"-1\frac{4}{5}", -9, 5)]
    [InlineData("2^{10}", 1024, 1)]
    [InlineData("x^0", 1, 1)]
    [InlineData("2^23", 12, 1)] // LaTeX superscripts take one token: 2^2·3
    [InlineData(@"5\times10^{-1}", 1, 2)]
    [InlineData(@"5\cdot 10^{-1}", 1, 2)]
    [InlineData("5E-01", 1, 2)]
    [InlineData(@"6\div 4", 3, 2)]
    [InlineData("2(3+4)", 14, 1)]
    [InlineData("-2^2", -4, 1)]
    [InlineData("5!", 120, 1)]
    [InlineData(@"\binom{6}{3}", 20, 1)]
    [InlineData(@"0.\overline{3}", 1, 3)]
    [InlineData(@"0.1\overline{6}", 1, 6)]
    [InlineData(@"\lfloor 7/2 \rfloor", 3, 1)]
    [InlineData(@"\lceil 7/2 \rceil", 4, 1)]
    [InlineData("|-3|", 3, 1)]
    [InlineData(@"\sqrt{16}", 4, 1)]
    [InlineData(@"\sqrt[3]{-8}", -2, 1)]
    [InlineData(@"4^{\frac{3}{2}}", 8, 1)]
    [InlineData(@"\ln e", 1, 1)]
    public void Evaluates_exact_rationals(string latex, int n, int d) => Assert.Equal(new Rational(n, d), R(latex));

    [Theory]
    [InlineData("0.25", true)]
    [InlineData("5E-01", true)]
    [InlineData(@"\frac{1}{4}", false)]
    [InlineData("25", false)]
    public void Records_decimal_literals(string latex, bool hasDecimal) =>
        Assert.Equal(hasDecimal, LatexExpressionParser.Parse(latex).HasDecimal);

    [Theory]
    [InlineData(@"2\sqrt{3}", 2 * 1.7320508075688772)]
    [InlineData(@"3\pi", 3 * Math.PI)]
    [InlineData(@"\sin\frac{\pi}{6}", 0.5)]
    [InlineData(@"\log_2 8", 3.0)]
    [InlineData(@"e^{2}", Math.E * Math.E)]
    public void Implicit_multiplication_and_functions_have_the_right_numeric_value(string latex, double expected)
    {
        var v = LatexExpressionParser.Parse(latex).Value.Evaluate()!.Value;
        Assert.Equal(expected, v.Real, 1e-9);
    }

    [Theory]
    [InlineData(@"\frac{1}")]
    [InlineData("(1+2")]
    [InlineData(@"\unknowncommand{3}")]
    [InlineData("1/0")]
    [InlineData("3 +")]
    [InlineData("")]
    public void Malformed_input_is_not_a_value(string latex) => Assert.False(LatexExpressionParser.TryParse(latex, out _));
}
