using System.Numerics;
using FsCheck;
using FsCheck.Fluent;
using QuantReason.Evaluation.Equivalence;

namespace QuantReason.Tests.Evaluation.Equivalence;

public class PrimeFactorsTests
{
    [Fact]
    public void Factors_multiply_back_and_are_prime()
    {
        var gen = from a in Gen.Choose(1, int.MaxValue) from b in Gen.Choose(1, 1000) select (long)a * b;
        Prop.ForAll(gen.ToArbitrary(), n =>
        {
            var f = PrimeFactors.Of(n);
            var product = f.Aggregate(BigInteger.One, (acc, x) => acc * BigInteger.Pow(x.Prime, x.Exponent));
            return product == n && f.All(x => x.Exponent > 0 && PrimeFactors.Of(x.Prime) is [(var q, 1)] && q == x.Prime);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Large_cofactors_are_proven_prime_or_refused()
    {
        var p = BigInteger.Parse("1000000000039"); // prime (sympy.isprime), above the trial-division range
        Assert.Equal([(p, 1)], PrimeFactors.Of(p));
        Assert.Equal([(new BigInteger(2), 3), (p, 1)], PrimeFactors.Of(8 * p));
        // Two primes beyond trial division: the composite cofactor cannot be split, so the radical is refused.
        Assert.Throws<NotRepresentableException>(() => PrimeFactors.Of(p * BigInteger.Parse("1000000000061")));
        // Beyond the deterministic Miller–Rabin bound primality is not claimed either.
        Assert.Throws<NotRepresentableException>(() => PrimeFactors.Of(BigInteger.Parse("10000000000000000000000013")));
    }
}
