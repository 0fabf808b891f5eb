using FsCheck;
using FsCheck.Fluent;
using QuantReason.Data.StepMath;
using QuantReason.Tests;

namespace QuantReason.Tests.Data.StepMath;

public class StepTests
{
    [Theory]
    [InlineData("48+27=75", 48, '+', 27, 75, null)]
    [InlineData("-10+5=-5", -10, '+', 5, -5, null)]
    [InlineData("4*-3=-12", 4, '*', -3, -12, null)]
    [InlineData("5--3=8", 5, '-', -3, 8, null)]
    [InlineData("40/6=6r4", 40, '/', 6, 6, 4L)]
    [InlineData(" 48 + 27 = 75 ", 48, '+', 27, 75, null)]
    public void Parses_signed_operands_and_remainders(string text, long a, char op, long b, long c, long? r)
    {
        Assert.True(Step.TryParse(text, out var s));
        Assert.True(StepOps.TryFromSymbol(op, out var o));
        Assert.Equal(new Step(a, o, b, c, r), s);
        Assert.True(s.IsArithmeticValid);
    }

    [Theory]
    [InlineData("48+27")]
    [InlineData("48+27=")]
    [InlineData("48+=75")]
    [InlineData("48+27=75=75")]
    [InlineData("48+27=75r1")]
    [InlineData("a+b=c")]
    [InlineData("1234567890123456+1=1")]
    public void Rejects_what_is_not_a_step(string text) => Assert.False(Step.TryParse(text, out _));

    [Theory]
    [InlineData("48+27=76")]
    [InlineData("40/6=6")]
    [InlineData("40/6=6r3")]
    [InlineData("36/6=6r0")]
    [InlineData("5/0=0")]
    public void Wrong_arithmetic_is_invalid(string text)
    {
        Assert.True(Step.TryParse(text, out var s));
        Assert.False(s.IsArithmeticValid);
    }

    [Fact]
    public void Render_and_parse_round_trip() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500), Prop.ForAll(
            Gen.Choose(-5000, 5000).Zip(Gen.Choose(-5000, 5000)).Zip(Gen.Elements(StepOp.Add, StepOp.Sub, StepOp.Mul)).ToArbitrary(),
            t =>
            {
                var ((a, b), op) = t;
                var s = new Step(a, op, b, op.Apply(a, b)!.Value.Value);
                return Step.TryParse(s.Render(), out var back) && back == s && back.IsArithmeticValid;
            }));
}
