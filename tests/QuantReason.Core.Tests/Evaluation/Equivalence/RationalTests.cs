using System.Globalization;
using System.Numerics;
using FsCheck;
using FsCheck.Fluent;
using QuantReason.Evaluation.Equivalence;

namespace QuantReason.Tests.Evaluation.Equivalence;

public class RationalTests
{
    [Theory]
    [InlineData("0.5", 1, 2)]
    [InlineData(".5", 1, 2)]
    [InlineData("-2.50", -5, 2)]
    [InlineData("5E-01", 1, 2)]
    [InlineData("1.25e2", 125, 1)]
    [InlineData("3.", 3, 1)]
    public void Parses_decimals_and_scientific_notation_exactly(string text, int n, int d)
    {
        Assert.True(Rational.TryParseDecimal(text, out var r));
        Assert.Equal(new Rational(n, d), r);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1/2")]
    [InlineData("1e")]
    [InlineData("abc")]
    public void Rejects_what_is_not_a_decimal(string text) => Assert.False(Rational.TryParseDecimal(text, out _));

    [Fact]
    public void Is_always_reduced_with_a_positive_denominator()
    {
        var r = new Rational(6, -8);
        Assert.Equal((new BigInteger(-3), new BigInteger(4)), (r.Numerator, r.Denominator));
        Assert.Equal(new Rational(0, 5), Rational.Zero);
    }

    [Fact]
    public void Decimal_text_of_n_over_ten_to_k_round_trips()
    {
        var gen = from n in Gen.Choose(-1_000_000, 1_000_000)
                  from k in Gen.Choose(0, 8)
                  select (n, k);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var value = new Rational(t.n, BigInteger.Pow(10, t.k));
            var text = (t.n / Math.Pow(10, t.k)).ToString("F" + t.k, CultureInfo.InvariantCulture);
            return Rational.TryParseDecimal(text, out var parsed) && parsed == value;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Field_laws_hold()
    {
        var gen = from a in Gen.Choose(-500, 500) from b in Gen.Choose(1, 500)
                  from c in Gen.Choose(-500, 500) from d in Gen.Choose(1, 500)
                  select (x: new Rational(a, b), y: new Rational(c, d));
        Prop.ForAll(gen.ToArbitrary(), t =>
            (t.x + t.y) - t.y == t.x
            && (t.y.IsZero || (t.x / t.y) * t.y == t.x)
            && t.x * (t.y + Rational.One) == t.x * t.y + t.x
            && Math.Abs((t.x + t.y).ToDouble() - (t.x.ToDouble() + t.y.ToDouble())) < 1e-9).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Floor_rounds_toward_minus_infinity()
    {
        Assert.Equal(new BigInteger(-2), new Rational(-3, 2).Floor());
        Assert.Equal(new BigInteger(1), new Rational(3, 2).Floor());
        Assert.Equal(new BigInteger(-2), new Rational(-2, 1).Floor());
    }
}
