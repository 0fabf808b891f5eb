using System.Numerics;

namespace QuantReason.Evaluation.Equivalence;

/// <summary>
/// An exact value: a quotient of canonical polynomials. Denominators that are a single term are rationalised away
/// (1/√2 becomes √2/2), so almost every contest answer ends with denominator 1; a genuine sum in the denominator is
/// kept, and equality is decided by cross-multiplication, which needs no further normal form.
/// </summary>
public sealed class SymbolicValue
{
    /// <summary>Cap on integer powers so "2^{10^9}" is refused instead of computed.</summary>
    const int MaxPower = 4096;
    const long MaxResultBits = 1 << 16;

    public Polynomial Numerator { get; }
    public Polynomial Denominator { get; }

    SymbolicValue(Polynomial numerator, Polynomial denominator)
    {
        Numerator = numerator; Denominator = denominator;
    }

    public static SymbolicValue Of(Polynomial p) => new(p, Polynomial.Constant(Rational.One));
    public static SymbolicValue Of(Rational r) => Of(Polynomial.Constant(r));
    public static SymbolicValue Of(Atom atom) => Of(Polynomial.Of(atom));

    public static SymbolicValue Quotient(Polynomial numerator, Polynomial denominator)
    {
        if (denominator.IsZero) throw new NotRepresentableException("division by zero");
        if (numerator.IsZero) return Of(Polynomial.Zero);
        if (denominator.AsSingleTerm is var (c, m))
        {
            // Invert the single term: 1/(c·m) = (1/c)·m⁻¹, whose reduction rationalises prime radicals.
            var (k, inverse) = m.Pow(Rational.MinusOne);
            return Of(numerator * Polynomial.Term(k / c, inverse));
        }
        if (Proportion(numerator, denominator) is { } ratio) return Of(ratio);
        return new(numerator, denominator);
    }

    /// <summary>k when a = k·b for a rational k, else null.</summary>
    internal static Rational? Proportion(Polynomial a, Polynomial b)
    {
        if (a.Terms.Count != b.Terms.Count || b.IsZero) return null;
        var (m0, c0) = b.Terms.First();
        if (!a.Terms.TryGetValue(m0, out var a0)) return null;
        var k = a0 / c0;
        return (a - b.Scale(k)).IsZero ? k : null;
    }

    public Rational? AsRational => Denominator.AsConstant is { } d && Numerator.AsConstant is { } n ? n / d : null;
    public bool IsRational => AsRational is not null;

    public static SymbolicValue operator +(SymbolicValue a, SymbolicValue b) =>
        a.Denominator.Equals(b.Denominator)
            ? Quotient(a.Numerator + b.Numerator, a.Denominator)
            : Quotient(a.Numerator * b.Denominator + b.Numerator * a.Denominator, a.Denominator * b.Denominator);

    public static SymbolicValue operator -(SymbolicValue a) => new(-a.Numerator, a.Denominator);
    public static SymbolicValue operator -(SymbolicValue a, SymbolicValue b) => a + -b;
    public static SymbolicValue operator *(SymbolicValue a, SymbolicValue b) =>
        Quotient(a.Numerator * b.Numerator, a.Denominator * b.Denominator);
    public static SymbolicValue operator /(SymbolicValue a, SymbolicValue b) =>
        b.Numerator.IsZero ? throw new NotRepresentableException("division by zero")
            : Quotient(a.Numerator * b.Denominator, a.Denominator * b.Numerator);

    /// <summary>
    /// Exact power. Rational exponents of a single term distribute over its factors (so √8 = 2√2 and (−4)^(1/2) = 2i);
    /// anything else that is not an integer power becomes an opaque atom keyed by its canonical base and exponent.
    /// </summary>
    public SymbolicValue Pow(SymbolicValue exponent)
    {
        if (exponent.AsRational is { } r)
        {
            if (r.IsInteger)
            {
                if (BigInteger.Abs(r.Numerator) > MaxPower) throw new NotRepresentableException("power too large");
                return IntegerPow((int)r.Numerator);
            }
            if (Denominator.AsConstant is { } d && Numerator.AsSingleTerm is var (c, m))
                return Of(RationalPow(c / d, r) * TermPow(m, r));
            if (Numerator.IsZero && r.Sign > 0) return this;
        }
        var baseKey = ToString();
        var expKey = exponent.ToString();
        var value = Evaluate() is { } b && exponent.Evaluate() is { } e ? Complex.Pow(b, e) : (Complex?)null;
        var self = this;
        return Of(Atom.Opaque($"({baseKey})^({expKey})", value, Union(FreeVariables, exponent.FreeVariables),
            env => self.Evaluate(env) is { } x && exponent.Evaluate(env) is { } y ? Complex.Pow(x, y) : null));
    }

    SymbolicValue IntegerPow(int n)
    {
        if (n < 0) return Of(Rational.One) / IntegerPow(-n);
        if ((Numerator.Terms.Count > 1 || Denominator.Terms.Count > 1) && n > 64)
            throw new NotRepresentableException("power of a sum too large");
        // The result's coefficients grow to about n times the base's digits: refuse what would take seconds to build.
        if ((long)n * (Numerator.MaxCoefficientBits + Denominator.MaxCoefficientBits) > MaxResultBits)
            throw new NotRepresentableException("power too large");
        var result = Of(Rational.One);
        var square = this;
        for (var k = n; k > 0; k >>= 1)
        {
            if ((k & 1) == 1) result *= square;
            if (k > 1) square *= square;
        }
        return result;
    }

    static Polynomial TermPow(Monomial m, Rational r)
    {
        var (k, p) = m.Pow(r);
        return Polynomial.Term(k, p);
    }

    /// <summary>q^r for rational q and fractional r: factor numerator and denominator into prime atoms.</summary>
    static Polynomial RationalPow(Rational q, Rational r)
    {
        if (q.IsZero) return r.Sign > 0 ? Polynomial.Zero : throw new NotRepresentableException("zero to a negative power");
        var result = Polynomial.Constant(Rational.One);
        if (q.Sign < 0)
        {
            // (−1)^r: odd root denominators take the real root; even-denominator halves become powers of i.
            if (r.Denominator.IsEven)
            {
                if (r.Denominator != 2) throw new NotRepresentableException("even root of a negative number");
                var (ki, mi) = Monomial.Of(Atom.I, r.Numerator);
                result = Polynomial.Term(ki, mi);
            }
            else if (!r.Numerator.IsEven) result = Polynomial.Constant(Rational.MinusOne);
            q = -q;
        }
        foreach (var (prime, e) in PrimeFactors.Of(q.Numerator))
            result *= PrimePower(prime, r * e);
        foreach (var (prime, e) in PrimeFactors.Of(q.Denominator))
            result *= PrimePower(prime, -r * e);
        return result;
    }

    static Polynomial PrimePower(BigInteger prime, Rational e)
    {
        var (k, m) = Monomial.Of(Atom.OfPrime(prime), e);
        return Polynomial.Term(k, m);
    }

    public Complex? Evaluate(IReadOnlyDictionary<string, Complex>? bindings = null) =>
        Numerator.Evaluate(bindings) is { } n && Denominator.Evaluate(bindings) is { } d ? n / d : null;

    /// <summary>Free variables, including those inside opaque atoms (the n of \sum_{k=1}^{n}), never a bound one.</summary>
    public IReadOnlySet<string> FreeVariables =>
        Numerator.Atoms.Concat(Denominator.Atoms).Aggregate(new HashSet<string>(), (s, a) => { s.UnionWith(a.FreeVariables); return s; });

    /// <summary>True when some atom is opaque (a function, a sum, a power that did not simplify): exact arithmetic
    /// cannot see every identity between such values, so the grader may test them at random points.</summary>
    public bool HasOpaque => Numerator.HasAtom(AtomKind.Opaque) || Denominator.HasAtom(AtomKind.Opaque);

    internal static IReadOnlySet<string> Union(IReadOnlySet<string> a, IReadOnlySet<string> b) =>
        b.Count == 0 ? a : a.Count == 0 ? b : new HashSet<string>(a.Concat(b));

    /// <summary>Exact equality: a/b = c/d ⇔ a·d − c·b = 0 in canonical form.</summary>
    public bool ExactlyEquals(SymbolicValue other) =>
        (Numerator * other.Denominator - other.Numerator * Denominator).IsZero;

    public override string ToString() =>
        Denominator.AsConstant == Rational.One ? Numerator.ToString() : $"({Numerator})/({Denominator})";
}
