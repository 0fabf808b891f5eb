using FsCheck;
using FsCheck.Fluent;
using QuantReason.Evaluation.Equivalence;

namespace QuantReason.Tests.Evaluation.Equivalence;

public class SymbolicValueTests
{
    static SymbolicValue V(string latex) => LatexExpressionParser.Parse(latex).Value;

    [Theory]
    [InlineData(@"\frac{\sqrt{2}}{2}", @"\frac{1}{\sqrt{2}}")]
    [InlineData(@"\sqrt{8}", @"2\sqrt{2}")]
    [InlineData(@"\sqrt{2}\sqrt{6}", @"2\sqrt{3}")]
    [InlineData(@"\sqrt[3]{54}", @"3\sqrt[3]{2}")]
    [InlineData(@"\frac{1}{\sqrt{2}+1}", @"\sqrt{2}-1")]
    [InlineData(@"(1+\sqrt{3})^2", @"4+2\sqrt{3}")]
    [InlineData(@"\sqrt{-4}", "2i")]
    [InlineData("i^2", "-1")]
    [InlineData(@"\frac{1}{i}", "-i")]
    [InlineData(@"\frac{\pi}{\pi}", "1")]
    [InlineData(@"(x+1)^3", "x^3+3x^2+3x+1")]
    [InlineData(@"\frac{x^2-1}{x-1}", "x+1")]
    [InlineData(@"\frac{2x+2}{x+1}", "2")]
    public void Canonical_forms_make_equal_values_equal(string a, string b) => Assert.True(V(a).ExactlyEquals(V(b)));

    [Theory]
    [InlineData(@"\sqrt{2}", @"\sqrt{3}")]
    [InlineData(@"\sqrt{2}+\sqrt{3}", @"\sqrt{5}")]
    [InlineData(@"\pi", "3")]
    [InlineData("x", "y")]
    [InlineData(@"\sqrt[3]{2}", @"\sqrt{2}")]
    public void Different_values_stay_different(string a, string b) => Assert.False(V(a).ExactlyEquals(V(b)));

    [Fact]
    public void Radicals_pull_out_square_factors()
    {
        var gen = from a in Gen.Choose(1, 30) from b in Gen.Choose(1, 30) from c in Gen.Choose(1, 60) select (a, b, c);
        Prop.ForAll(gen.ToArbitrary(), t =>
            V($@"{t.a}\sqrt{{{t.b * t.b * t.c}}}").ExactlyEquals(V($@"{t.a * t.b}\sqrt{{{t.c}}}"))).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Exact_and_numeric_values_agree()
    {
        var gen = from a in Gen.Choose(-20, 20) from b in Gen.Choose(1, 50) from c in Gen.Choose(1, 9) select (a, b, c);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var v = V($@"\frac{{{t.a}+\sqrt{{{t.b}}}}}{{{t.c}}}\pi").Evaluate()!.Value;
            var expected = (t.a + Math.Sqrt(t.b)) / t.c * Math.PI;
            return Math.Abs(v.Real - expected) < 1e-9 * Math.Max(1, Math.Abs(expected)) && Math.Abs(v.Imaginary) < 1e-12;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Runaway_powers_are_refused_not_computed()
    {
        Assert.False(LatexExpressionParser.TryParse("2^{100000000}", out _));
        Assert.False(LatexExpressionParser.TryParse("(1+x)^{1000}", out _));
    }
}
