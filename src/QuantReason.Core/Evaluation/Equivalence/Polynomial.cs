using System.Numerics;
using System.Text;

namespace QuantReason.Evaluation.Equivalence;

/// <summary>
/// A finite sum of rational × <see cref="Monomial"/> with no zero coefficients: the canonical form of the exact
/// evaluator. Products of radicals of distinct primes are linearly independent over ℚ and π, e and variables are treated
/// as independent indeterminates, so two polynomials are equal as values exactly when their term sets are equal.
/// </summary>
public sealed class Polynomial : IEquatable<Polynomial>
{
    /// <summary>Bounds the work a hostile answer (e.g. (1+x)^999) can cause.</summary>
    internal const int MaxTerms = 2048;

    readonly Dictionary<Monomial, Rational> _terms;
    public IReadOnlyDictionary<Monomial, Rational> Terms => _terms;

    Polynomial(Dictionary<Monomial, Rational> terms) => _terms = terms;

    public static readonly Polynomial Zero = new(new());
    public static Polynomial Constant(Rational c) => Term(c, Monomial.Unit);
    public static Polynomial Term(Rational c, Monomial m) =>
        c.IsZero ? Zero : new(new Dictionary<Monomial, Rational> { [m] = c });
    public static Polynomial Of(Atom atom) { var (c, m) = Monomial.Of(atom, Rational.One); return Term(c, m); }

    public bool IsZero => _terms.Count == 0;

    /// <summary>Bits of the largest numerator or denominator among the coefficients (a size measure for guards).</summary>
    public long MaxCoefficientBits =>
        _terms.Count == 0 ? 0 : _terms.Values.Max(c => Math.Max(c.Numerator.GetBitLength(), c.Denominator.GetBitLength()));

    /// <summary>The rational value when the polynomial is a constant (including 0).</summary>
    public Rational? AsConstant =>
        _terms.Count == 0 ? Rational.Zero
        : _terms.Count == 1 && _terms.Keys.First().IsUnit ? _terms.Values.First() : null;

    /// <summary>The single term, when there is exactly one.</summary>
    public (Rational Coefficient, Monomial Monomial)? AsSingleTerm =>
        _terms.Count == 1 ? (_terms.Values.First(), _terms.Keys.First()) : null;

    public bool IsNumeric => _terms.Keys.All(m => m.IsNumeric);
    public bool HasAtom(AtomKind kind) => _terms.Keys.Any(m => m.Factors.Any(f => f.Atom.Kind == kind));

    public IEnumerable<Atom> Atoms => _terms.Keys.SelectMany(m => m.Factors.Select(f => f.Atom));

    public static Polynomial operator +(Polynomial a, Polynomial b)
    {
        if (a.IsZero) return b;
        if (b.IsZero) return a;
        var t = new Dictionary<Monomial, Rational>(a._terms);
        foreach (var (m, c) in b._terms) Accumulate(t, m, c);
        return new(t);
    }

    public static Polynomial operator -(Polynomial a) =>
        new(a._terms.ToDictionary(kv => kv.Key, kv => -kv.Value));

    public static Polynomial operator -(Polynomial a, Polynomial b) => a + -b;

    public static Polynomial operator *(Polynomial a, Polynomial b)
    {
        if (a.IsZero || b.IsZero) return Zero;
        if ((long)a._terms.Count * b._terms.Count > MaxTerms * 8) throw new NotRepresentableException("product too large");
        var t = new Dictionary<Monomial, Rational>();
        foreach (var (ma, ca) in a._terms)
            foreach (var (mb, cb) in b._terms)
            {
                var (k, m) = Monomial.Multiply(ma, mb);
                Accumulate(t, m, ca * cb * k);
            }
        if (t.Count > MaxTerms) throw new NotRepresentableException("expression too large");
        return new(t);
    }

    public Polynomial Scale(Rational k) => k.IsZero ? Zero : new(_terms.ToDictionary(kv => kv.Key, kv => kv.Value * k));

    static void Accumulate(Dictionary<Monomial, Rational> t, Monomial m, Rational c)
    {
        var sum = t.TryGetValue(m, out var x) ? x + c : c;
        if (sum.IsZero) t.Remove(m); else t[m] = sum;
    }

    public Complex? Evaluate(IReadOnlyDictionary<string, Complex>? bindings = null)
    {
        Complex sum = Complex.Zero;
        foreach (var (m, c) in _terms)
        {
            if (m.Evaluate(bindings) is not { } v) return null;
            sum += c.ToDouble() * v;
        }
        return sum;
    }

    public bool Equals(Polynomial? other) => other is not null && (this - other).IsZero;
    public override bool Equals(object? obj) => obj is Polynomial p && Equals(p);
    public override int GetHashCode() => _terms.Count;

    /// <summary>A canonical text (terms sorted by monomial key), used as the key of opaque atoms built on this value.</summary>
    public override string ToString()
    {
        if (IsZero) return "0";
        var sb = new StringBuilder();
        foreach (var (m, c) in _terms.OrderBy(kv => kv.Key.Key, StringComparer.Ordinal))
        {
            if (sb.Length > 0) sb.Append(" + ");
            if (m.IsUnit) sb.Append(c);
            else if (c == Rational.One) sb.Append(m.Key);
            else sb.Append(c).Append('·').Append(m.Key);
        }
        return sb.ToString();
    }
}
