using System.Numerics;

namespace QuantReason.Evaluation.Equivalence;

/// <summary>
/// Decides an identity that exact arithmetic cannot see (\csc^2\theta = 1 + \cot^2\theta, a \sum with commuted factors or a
/// renamed index, \sqrt{2+\sqrt{3}} = (\sqrt6+\sqrt2)/2) by evaluating both sides at seeded random points: every free
/// variable gets an integer in [2, 9] on even trials (a \sum bound must be one) and a real of either sign with magnitude
/// in [0.35, 2.65] on odd trials (so sin(πx) ≢ 0 and |x| ≢ x are caught). Equal means agreement to a relative 1e-8 at <see cref="Agreements"/> points with no
/// disagreement; a point where either side is undefined is skipped. Work is capped by a trial count (and each evaluation
/// by the parser's caps on series terms), not by a clock, so the verdict never depends on how loaded the machine is; an
/// undecided test is "not equal".
/// </summary>
public static class NumericIdentity
{
    public const double RelativeTolerance = 1e-8;
    /// <summary>Two constants (no variables) are one value only to 1e-10: one evaluation, nothing to average over.</summary>
    public const double ConstantTolerance = 1e-10;
    public const int Agreements = 6;
    const int MaxTrials = 24;
    const int Seed = 20260312;

    public static bool Equal(SymbolicValue a, SymbolicValue b)
    {
        var variables = SymbolicValue.Union(a.FreeVariables, b.FreeVariables).OrderBy(v => v, StringComparer.Ordinal).ToList();
        if (variables.Count == 0) return Close(a.Evaluate(), b.Evaluate(), ConstantTolerance) ?? false;
        var rng = new Random(Seed);
        var agreed = 0;
        for (var trial = 0; trial < MaxTrials && agreed < Agreements; trial++)
        {
            var point = new Dictionary<string, Complex>();
            foreach (var v in variables)
                point[v] = trial % 2 == 0 ? rng.Next(2, 10) : (rng.Next(2) == 0 ? -1 : 1) * (0.35 + 2.3 * rng.NextDouble());
            switch (Close(a.Evaluate(point), b.Evaluate(point), RelativeTolerance))
            {
                case true: agreed++; break;
                case false: return false;
            }
        }
        return agreed >= Agreements;
    }

    /// <summary>Null when either value is missing or not finite (the point tells nothing).</summary>
    static bool? Close(Complex? x, Complex? y, double tolerance)
    {
        if (x is not { } p || y is not { } q || !Finite(p) || !Finite(q)) return null;
        var scale = Math.Max(1.0, Math.Max(Complex.Abs(p), Complex.Abs(q)));
        if (scale > 1e12) return null; // doubles there no longer resolve the tolerance
        return Complex.Abs(p - q) <= tolerance * scale;
    }

    static bool Finite(Complex z) => double.IsFinite(z.Real) && double.IsFinite(z.Imaginary);
}
