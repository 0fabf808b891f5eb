using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using QuantReason.Weights;

namespace QuantReason.Runtime;

/// <summary>
/// Keys and values of one sequence for every layer. Only real tokens are stored (padding never enters), so a batch of
/// sequences of different lengths needs no attention mask: each query attends to its own cache.
/// With a <see cref="Scheme"/> the cache holds integer codes instead of f32 — int8 one per byte, int4 two per byte —
/// and one f32 scale per token, head and group (<see cref="ActivationScheme.ForHeads"/>): a round trip moves each value by
/// at most half its group's step, ClipRatio·max|group|/(2·MaxCode).
/// </summary>
public sealed class KvCache
{
    readonly int _kvDim, _groups;   // groups per token (kvDim / group size) when quantized
    readonly float[][] _k, _v;      // f32: per layer [capacity, kvDim]; quantized: per layer [capacity, groups] scales
    readonly byte[][] _kq, _vq;     // quantized: per layer [capacity, kvDim·bits/8] codes (int4: low nibble first, code + 8)
    public int Capacity { get; private set; }
    public int MaxLength { get; }
    /// <summary>How keys and values are stored; null for f32.</summary>
    public ActivationScheme? Scheme { get; }

    /// <summary>Tokens whose keys and values are stored; the position of the next token.</summary>
    public int Length { get; private set; }

    public KvCache(int layers, int kvDim, int maxLength, int initialCapacity = 64, ActivationScheme? scheme = null)
    {
        _kvDim = kvDim;
        MaxLength = maxLength;
        Scheme = scheme;
        Capacity = Math.Min(Math.Max(1, initialCapacity), maxLength);
        _groups = scheme is null ? 0 : kvDim / scheme.GroupFor(kvDim);
        if (scheme is not null && (scheme.GroupSize <= 0 || kvDim % scheme.GroupSize != 0 || scheme.Bits == 4 && scheme.GroupSize % 2 != 0))
            throw new ArgumentException($"KV-cache scheme {scheme.Name("kv")} needs a group size (even for 4 bits) dividing {kvDim}", nameof(scheme));
        _k = new float[layers][];
        _v = new float[layers][];
        _kq = new byte[scheme is null ? 0 : layers][];
        _vq = new byte[scheme is null ? 0 : layers][];
        for (int l = 0; l < layers; l++)
        {
            _k[l] = new float[Capacity * FloatsPerToken];
            _v[l] = new float[Capacity * FloatsPerToken];
            if (scheme is null) continue;
            _kq[l] = new byte[Capacity * BytesPerToken];
            _vq[l] = new byte[Capacity * BytesPerToken];
        }
    }

    int FloatsPerToken => Scheme is null ? _kvDim : _groups;
    int BytesPerToken => Scheme is null ? 0 : _kvDim * Scheme.Bits / 8;

    /// <summary>Bytes one token's keys and values take in every layer (f32, or codes plus scales).</summary>
    public long BytesPerTokenAllLayers => 2L * _k.Length * (4L * FloatsPerToken + BytesPerToken);

    /// <summary>Bytes held for the current capacity.</summary>
    public long ByteSize => BytesPerTokenAllLayers * Capacity;

    /// <summary>The f32 keys [capacity, kvDim] of a layer; only for an f32 cache (a quantized one is read by <see cref="ReadHead"/>).</summary>
    public float[] Keys(int layer) => Scheme is null ? _k[layer] : throw new InvalidOperationException("a quantized KV cache has no f32 keys; use ReadHead");
    public float[] Values(int layer) => Scheme is null ? _v[layer] : throw new InvalidOperationException("a quantized KV cache has no f32 values; use ReadHead");

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
            Array.Resize(ref _k[l], cap * FloatsPerToken);
            Array.Resize(ref _v[l], cap * FloatsPerToken);
            if (Scheme is null) continue;
            Array.Resize(ref _kq[l], cap * BytesPerToken);
            Array.Resize(ref _vq[l], cap * BytesPerToken);
        }
        Capacity = cap;
    }

    /// <summary>Stores keys and values [tokens, kvDim] of positions <paramref name="position"/>… of a layer (room reserved).</summary>
    public void Write(int layer, int position, ReadOnlySpan<float> k, ReadOnlySpan<float> v, int tokens)
    {
        if (Scheme is null)
        {
            k.Slice(0, tokens * _kvDim).CopyTo(_k[layer].AsSpan(position * _kvDim));
            v.Slice(0, tokens * _kvDim).CopyTo(_v[layer].AsSpan(position * _kvDim));
            return;
        }
        Span<sbyte> codes = _kvDim <= 4096 ? stackalloc sbyte[_kvDim] : new sbyte[_kvDim];
        for (int t = 0; t < tokens; t++)
        {
            int p = position + t;
            Store(k.Slice(t * _kvDim, _kvDim), codes, _k[layer].AsSpan(p * _groups, _groups), _kq[layer].AsSpan(p * BytesPerToken, BytesPerToken));
            Store(v.Slice(t * _kvDim, _kvDim), codes, _v[layer].AsSpan(p * _groups, _groups), _vq[layer].AsSpan(p * BytesPerToken, BytesPerToken));
        }
    }

    void Store(ReadOnlySpan<float> x, Span<sbyte> codes, Span<float> scales, Span<byte> dst)
    {
        Scheme!.Quantize(x, codes, scales);
        if (Scheme.Bits == 8) { for (int i = 0; i < codes.Length; i++) dst[i] = (byte)codes[i]; return; }
        for (int i = 0; i < dst.Length; i++) dst[i] = (byte)((codes[2 * i] + 8) | (codes[2 * i + 1] + 8) << 4);
    }

    /// <summary>
    /// Keys and values of one KV head for positions [0, <paramref name="length"/>) as f32 [length, headDim] each: a copy from
    /// an f32 cache, the dequantized codes (scale·code) from a quantized one.
    /// </summary>
    public void ReadHead(int layer, int kvHead, int headDim, int length, Span<float> k, Span<float> v)
    {
        for (int p = 0; p < length; p++)
        {
            if (Scheme is null)
            {
                _k[layer].AsSpan(p * _kvDim + kvHead * headDim, headDim).CopyTo(k.Slice(p * headDim, headDim));
                _v[layer].AsSpan(p * _kvDim + kvHead * headDim, headDim).CopyTo(v.Slice(p * headDim, headDim));
                continue;
            }
            Load(_kq[layer], _k[layer], p, kvHead * headDim, k.Slice(p * headDim, headDim));
            Load(_vq[layer], _v[layer], p, kvHead * headDim, v.Slice(p * headDim, headDim));
        }
    }

    // One head's slice [c0, c0 + dst.Length) of token p; heads hold whole groups (ForHeads), so each group has one scale.
    void Load(byte[] codes, float[] scales, int p, int c0, Span<float> dst)
    {
        int g = _kvDim / _groups, at = p * BytesPerToken;
        for (int j = 0; j < dst.Length; j += g)
        {
            float s = scales[p * _groups + (c0 + j) / g];
            if (Scheme!.Bits == 8)
            {
                var d = dst.Slice(j, g);
                TensorPrimitives.ConvertChecked<sbyte, float>(MemoryMarshal.Cast<byte, sbyte>(codes.AsSpan(at + c0 + j, g)), d);
                TensorPrimitives.Multiply(d, s, d);
            }
            else
                for (int i = j; i < j + g; i += 2)
                {
                    int b = codes[at + (c0 + i) / 2];
                    dst[i] = s * ((b & 15) - 8);
                    dst[i + 1] = s * ((b >> 4) - 8);
                }
        }
    }

    internal void Advance(int tokens) => Length += tokens;

    /// <summary>Forgets everything after <paramref name="length"/> tokens (e.g. to reuse a shared prompt prefix).</summary>
    public void Truncate(int length) => Length = Math.Clamp(length, 0, Length);
}
