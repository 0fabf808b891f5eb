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
/// An opaque atom built on free variables (\sin x, \sum_{k=1}^{n} k) also knows how to evaluate itself once the
/// variables are bound (<see cref="ValueAt"/>), which is what random-point identity testing needs.
/// </summary>
public sealed class Atom : IEquatable<Atom>
{
    static readonly HashSet<string> NoVariables = [];

    public AtomKind Kind { get; }
    public string Key { get; }
    public Complex? Numeric { get; }
    public BigInteger Prime { get; }
    /// <summary>The free variables the atom's value depends on (its own name for a variable).</summary>
    public IReadOnlySet<string> FreeVariables { get; }
    readonly Func<IReadOnlyDictionary<string, Complex>, Complex?>? _at;

    Atom(AtomKind kind, string key, Complex? numeric, BigInteger prime = default,
        Func<IReadOnlyDictionary<string, Complex>, Complex?>? at = null, IReadOnlySet<string>? free = null)
    {
        Kind = kind; Key = key; Numeric = numeric; Prime = prime; _at = at;
        FreeVariables = free ?? (kind == AtomKind.Variable ? new HashSet<string> { key } : NoVariables);
    }

    /// <summary>The value with the free variables bound as given (null when one is unbound or the value is undefined).</summary>
    public Complex? ValueAt(IReadOnlyDictionary<string, Complex>? bindings) => Kind switch
    {
        AtomKind.Variable => bindings is not null && bindings.TryGetValue(Key, out var v) ? v : null,
        AtomKind.Opaque when _at is not null && bindings is not null && FreeVariables.Count > 0 => _at(bindings),
        _ => Numeric,
    };

    public static readonly Atom I = new(AtomKind.ImaginaryUnit, "i", Complex.ImaginaryOne);
    public static readonly Atom Pi = new(AtomKind.Pi, "\\pi", Math.PI);
    public static readonly Atom E = new(AtomKind.Euler, "e", Math.E);
    public static readonly Atom Infinity = new(AtomKind.Infinity, "\\infty", null);

    public static Atom OfPrime(BigInteger p) => new(AtomKind.Prime, p.ToString(), (double)p, p);
    public static Atom Variable(string name) => new(AtomKind.Variable, name, null);
    public static Atom Opaque(string key, Complex? numeric) => new(AtomKind.Opaque, key, numeric);

    /// <summary>An opaque atom over free variables, evaluated by <paramref name="at"/> once they are bound.</summary>
    public static Atom Opaque(string key, Complex? numeric, IReadOnlySet<string> free,
        Func<IReadOnlyDictionary<string, Complex>, Complex?> at) => new(AtomKind.Opaque, key, numeric, default, at, free);

    public bool Equals(Atom? other) => other is not null && other.Key == Key && other.Kind == Kind;
    public override bool Equals(object? obj) => obj is Atom a && Equals(a);
    public override int GetHashCode() => HashCode.Combine(Kind, Key);
    public override string ToString() => Key;
}
