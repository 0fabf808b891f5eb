using System.Numerics;
using System.Text;

namespace QuantReason.Evaluation.Equivalence;

/// <summary>
/// A product of atoms raised to rational powers, kept in a canonical reduced form: primes only with exponents in (0, 1)
/// (the integer part moves into the coefficient), i only to the power 0 or 1, no zero exponents, atoms sorted by key.
/// Equal monomials therefore have equal <see cref="Key"/>s, which is what makes sums of them a canonical form.
/// </summary>
public sealed class Monomial : IEquatable<Monomial>
{
    public IReadOnlyList<(Atom Atom, Rational Exponent)> Factors { get; }
    public string Key { get; }

    Monomial(List<(Atom, Rational)> factors)
    {
        factors.Sort((a, b) => string.CompareOrdinal(a.Item1.Key, b.Item1.Key));
        Factors = factors;
        var sb = new StringBuilder();
        foreach (var (atom, e) in factors)
        {
            if (sb.Length > 0) sb.Append('·');
            sb.Append(atom.Key);
            if (e != Rational.One) sb.Append('^').Append('(').Append(e).Append(')');
        }
        Key = sb.ToString();
    }

    public static readonly Monomial Unit = new([]);

    public bool IsUnit => Factors.Count == 0;

    /// <summary>True when the monomial holds only numbers (primes, i, π, e) so it has a numeric value.</summary>
    public bool IsNumeric => Factors.All(f => f.Atom.Numeric is not null);

    /// <summary>True when every atom is a prime or i: the value is algebraic, and a rational only if the monomial is the unit.</summary>
    public bool IsRadicalOnly => Factors.All(f => f.Atom.Kind is AtomKind.Prime or AtomKind.ImaginaryUnit);

    public static (Rational Coefficient, Monomial Monomial) Of(Atom atom, Rational exponent) =>
        Reduce(new Dictionary<Atom, Rational> { [atom] = exponent });

    public static (Rational Coefficient, Monomial Monomial) Multiply(Monomial a, Monomial b)
    {
        if (a.IsUnit) return (Rational.One, b);
        if (b.IsUnit) return (Rational.One, a);
        var exps = new Dictionary<Atom, Rational>();
        foreach (var (atom, e) in a.Factors) exps[atom] = e;
        foreach (var (atom, e) in b.Factors) exps[atom] = exps.TryGetValue(atom, out var x) ? x + e : e;
        return Reduce(exps);
    }

    public (Rational Coefficient, Monomial Monomial) Pow(Rational r)
    {
        var exps = new Dictionary<Atom, Rational>();
        foreach (var (atom, e) in Factors)
        {
            if (atom.Kind == AtomKind.ImaginaryUnit && !(e * r).IsInteger)
                throw new NotRepresentableException("fractional power of i");
            exps[atom] = e * r;
        }
        return Reduce(exps);
    }

    /// <summary>Moves integer powers of primes and of i into the coefficient and drops zero exponents.</summary>
    static (Rational, Monomial) Reduce(Dictionary<Atom, Rational> exps)
    {
        var coefficient = Rational.One;
        var kept = new List<(Atom, Rational)>();
        foreach (var (atom, e) in exps)
        {
            switch (atom.Kind)
            {
                case AtomKind.Prime:
                {
                    var whole = e.Floor();
                    if (BigInteger.Abs(whole) > 4096) throw new NotRepresentableException("power too large");
                    coefficient *= new Rational(atom.Prime, 1).Pow((int)whole);
                    var frac = e - whole;
                    if (!frac.IsZero) kept.Add((atom, frac));
                    break;
                }
                case AtomKind.ImaginaryUnit:
                {
                    if (!e.IsInteger) throw new NotRepresentableException("fractional power of i");
                    var k = (int)(((e.Numerator % 4) + 4) % 4);
                    if (k >= 2) coefficient = -coefficient;
                    if (k % 2 == 1) kept.Add((atom, Rational.One));
                    break;
                }
                default:
                    if (!e.IsZero) kept.Add((atom, e));
                    break;
            }
        }
        return (coefficient, new Monomial(kept));
    }

    public Complex? Evaluate(IReadOnlyDictionary<string, Complex>? bindings = null)
    {
        Complex value = Complex.One;
        foreach (var (atom, e) in Factors)
        {
            if (atom.ValueAt(bindings) is not { } v) return null;
            value *= atom.Kind == AtomKind.Prime || v.Imaginary == 0 && v.Real > 0
                ? Math.Pow(v.Real, e.ToDouble())
                : Complex.Pow(v, e.ToDouble());
        }
        return value;
    }

    public bool Equals(Monomial? other) => other is not null && other.Key == Key;
    public override bool Equals(object? obj) => obj is Monomial m && Equals(m);
    public override int GetHashCode() => Key.GetHashCode(StringComparison.Ordinal);
    public override string ToString() => Key;
}
