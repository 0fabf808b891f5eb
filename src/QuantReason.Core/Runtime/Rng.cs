namespace QuantReason.Runtime;

/// <summary>
/// SplitMix64: a tiny, fully specified generator, so a seed gives the same samples on every platform and .NET version
/// (System.Random's algorithm is not a documented contract).
/// </summary>
public struct Rng(ulong seed)
{
    ulong _state = seed;

    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1) with 53 bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    public static Rng ForStream(ulong seed, ulong stream) => new(seed ^ (0xD1B54A32D192ED03UL * (stream + 1)));
}
