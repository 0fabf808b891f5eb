using System.Numerics;

namespace QuantReason.Evaluation.Equivalence;

/// <summary>
/// Factorisation of the integers that appear under radicals. Trial division to 10⁶ covers every contest answer; a
/// larger cofactor is proven prime by deterministic Miller–Rabin below 3.3·10²⁴, and beyond that the radical is
/// treated as not representable rather than risk a non-canonical form.
/// </summary>
internal static class PrimeFactors
{
    const int TrialLimit = 1_000_000;

    public static List<(BigInteger Prime, int Exponent)> Of(BigInteger n)
    {
        if (n.Sign <= 0) throw new ArgumentOutOfRangeException(nameof(n), "factorise positive integers only");
        var factors = new List<(BigInteger, int)>();
        var p = 2;
        // Machine-word trial division while n fits: BigInteger remainders are ~50× slower.
        if (n <= long.MaxValue)
        {
            var m = (long)n;
            for (; p <= TrialLimit && (long)p * p <= m; p = p == 2 ? 3 : p + 2)
            {
                if (m % p != 0) continue;
                var k = 0;
                while (m % p == 0) { m /= p; k++; }
                factors.Add((p, k));
            }
            n = m;
        }
        for (; p <= TrialLimit && (BigInteger)p * p <= n; p = p == 2 ? 3 : p + 2)
        {
            if (!(n % p).IsZero) continue;
            var k = 0;
            while ((n % p).IsZero) { n /= p; k++; }
            factors.Add((p, k));
        }
        if (n.IsOne) return factors;
        if ((BigInteger)TrialLimit * TrialLimit >= n || IsProbablePrime(n)) { factors.Add((n, 1)); return factors; }
        throw new NotRepresentableException($"cannot factorise {n} under a radical");
    }

    static readonly int[] Witnesses = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41];
    static readonly BigInteger DeterministicBound = BigInteger.Parse("3317044064679887385961981");

    static bool IsProbablePrime(BigInteger n)
    {
        if (n >= DeterministicBound) throw new NotRepresentableException($"radicand {n} too large to factorise");
        var d = n - 1; var s = 0;
        while (d.IsEven) { d >>= 1; s++; }
        foreach (var a in Witnesses)
        {
            var x = BigInteger.ModPow(a, d, n);
            if (x.IsOne || x == n - 1) continue;
            var composite = true;
            for (var r = 1; r < s && composite; r++)
            {
                x = BigInteger.ModPow(x, 2, n);
                if (x == n - 1) composite = false;
            }
            if (composite) return false;
        }
        return true;
    }
}
