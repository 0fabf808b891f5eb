using QuantReason.Evaluation.Equivalence;

namespace QuantReason.Tests.Evaluation.Equivalence;

public class NumericIdentityTests
{
    static SymbolicValue V(string latex) => Assert.IsType<ScalarAnswer>(AnswerParser.Parse(latex)).Value;

    [Theory]
    [InlineData(@"\sec^2 x", @"1+\tan^2 x")]
    [InlineData(@"\cos 2x", @"\cos^2 x - \sin^2 x")]
    [InlineData(@"\sum_{k=1}^{n} k^3", @"\frac{n^2(n+1)^2}{4}")]
    [InlineData(@"\prod_{k=1}^{n} \frac{k+1}{k}", "n+1")]
    [InlineData(@"\sqrt{2+\sqrt{3}}", @"\frac{\sqrt{6}+\sqrt{2}}{2}")]
    public void Identities_agree_at_every_point(string a, string b) => Assert.True(NumericIdentity.Equal(V(a), V(b)));

    [Theory]
    [InlineData(@"\sin(\pi x)", @"\sin(2\pi x)")] // equal (zero) at every integer, apart at the real points
    [InlineData(@"\sum_{k=1}^{n} k^3", @"\frac{n^2(n+1)^2}{2}")]
    [InlineData(@"\ln x", @"\log x")]
    public void A_single_disagreement_decides(string a, string b) => Assert.False(NumericIdentity.Equal(V(a), V(b)));

    [Fact]
    public void Seeded_so_the_verdict_repeats()
    {
        var (a, b) = (V(@"\tan x"), V(@"\frac{\sin x}{\cos x}"));
        Assert.Equal(NumericIdentity.Equal(a, b), NumericIdentity.Equal(a, b));
    }
}
