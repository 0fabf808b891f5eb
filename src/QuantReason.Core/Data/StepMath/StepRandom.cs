namespace QuantReason.Data.StepMath;

/// <summary>
/// SplitMix64: a generator whose sequence is fixed by its seed forever (System.Random's algorithm is an
/// implementation detail), so a StepMath split regenerates bit for bit on any runtime.
/// </summary>
public struct StepRandom(ulong seed)
{
    ulong _state = seed;

    public static StepRandom For(int seed, StepMathSplit split, int level) =>
        new(Mix((ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ ((ulong)split + 1) << 40 ^ (ulong)level << 48));

    public ulong NextULong()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [lo, hi], both inclusive.</summary>
    public long Next(long lo, long hi) => lo + (long)(NextULong() % (ulong)(hi - lo + 1));

    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    public bool Chance(double p) => NextDouble() < p;

    public T Pick<T>(IReadOnlyList<T> items) => items[(int)Next(0, items.Count - 1)];
}
