using System.Numerics;

namespace QuantReason.Evaluation.Equivalence;

public enum AtomKind
{
    /// <summary>A prime p, only ever raised to a fractional power in (0, 1): √2 is 2^(1/2), ∛12 becomes 2^(2/3)·3^(1/3).</summary>
    Prime,
    /// <summary>The imaginary unit, exponent 0 or 1 (i² folds into the coefficient).</summary>
    ImaginaryUnit,
    Pi,
    Euler,
    Infinity,
    /// <summary>A free symbol (x, \theta, x_1).</summary>
    Variable,
    /// <summary>Anything evaluated but not simplified further (\sin x, √(2+√3), 2^x), keyed by its canonical argument.</summary>
    Opaque,
}

/// <summary>
/// An indeterminate of the canonical form. Two atoms are the same exactly when their keys are; <see cref="Numeric"/>
/// is its complex value where one exists (null for free variables), used only by the numeric fallback.
/// </summary>
public sealed class Atom : IEquatable<Atom>
{
    public AtomKind Kind { get; }
    public string Key { get; }
    public Complex? Numeric { get; }
    public BigInteger Prime { get; }

    Atom(AtomKind kind, string key, Complex? numeric, BigInteger prime = default)
    {
        Kind = kind; Key = key; Numeric = numeric; Prime = prime;
    }

    public static readonly Atom I = new(AtomKind.ImaginaryUnit, "i", Complex.ImaginaryOne);
    public static readonly Atom Pi = new(AtomKind.Pi, "\\pi", Math.PI);
    public static readonly Atom E = new(AtomKind.Euler, "e", Math.E);
    public static readonly Atom Infinity = new(AtomKind.Infinity, "\\infty", null);

    public static Atom OfPrime(BigInteger p) => new(AtomKind.Prime, p.ToString(), (double)p, p);
    public static Atom Variable(string name) => new(AtomKind.Variable, name, null);
    public static Atom Opaque(string key, Complex? numeric) => new(AtomKind.Opaque, key, numeric);

    public bool Equals(Atom? other) => other is not null && other.Key == Key && other.Kind == Kind;
    public override bool Equals(object? obj) => obj is Atom a && Equals(a);
    public override int GetHashCode() => HashCode.Combine(Kind, Key);
    public override string ToString() => Key;
}
