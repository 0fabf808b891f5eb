namespace QuantReason.Runtime;

/// <summary>
/// Keys and values of one sequence for every layer. Only real tokens are stored (padding never enters), so a batch of
/// sequences of different lengths needs no attention mask: each query attends to its own cache.
/// </summary>
public sealed class KvCache
{
    readonly int _kvDim;
    readonly float[][] _k; // per layer [capacity, kvDim]
    readonly float[][] _v; // per layer [capacity, kvDim]
    public int Capacity { get; private set; }
    public int MaxLength { get; }

    /// <summary>Tokens whose keys and values are stored; the position of the next token.</summary>
    public int Length { get; private set; }

    public KvCache(int layers, int kvDim, int maxLength, int initialCapacity = 64)
    {
        _kvDim = kvDim;
        MaxLength = maxLength;
        Capacity = Math.Min(Math.Max(1, initialCapacity), maxLength);
        _k = new float[layers][];
        _v = new float[layers][];
        for (int l = 0; l < layers; l++)
        {
            _k[l] = new float[Capacity * kvDim];
            _v[l] = new float[Capacity * kvDim];
        }
    }

    public float[] Keys(int layer) => _k[layer];
    public float[] Values(int layer) => _v[layer];

    /// <summary>Makes room for <paramref name="extra"/> more tokens, failing clearly past the model's context.</summary>
    public void Reserve(int extra)
    {
        int need = Length + extra;
        if (need > MaxLength)
            throw new QuantReasonException($"sequence of {need} tokens exceeds the model's context of {MaxLength} (max_position_embeddings)");
        if (need <= Capacity) return;
        int cap = Math.Min(MaxLength, Math.Max(need, Capacity * 2));
        for (int l = 0; l < _k.Length; l++)
        {
            Array.Resize(ref _k[l], cap * _kvDim);
            Array.Resize(ref _v[l], cap * _kvDim);
        }
        Capacity = cap;
    }

    internal void Advance(int tokens) => Length += tokens;

    /// <summary>Forgets everything after <paramref name="length"/> tokens (e.g. to reuse a shared prompt prefix).</summary>
    public void Truncate(int length) => Length = Math.Clamp(length, 0, Length);
}
