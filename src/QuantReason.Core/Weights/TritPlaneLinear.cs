using QuantReason.Kernels;
using QuantReason.Quantization;

namespace QuantReason.Weights;

/// <summary>
/// PTQTP trit-plane weight: W ≈ α₁⊙T₁ + α₂⊙T₂ with T ∈ {−1, 0, 1} and α per row-group. Each plane is packed as two bit
/// masks (+1 and −1) in the 1-bit <see cref="PackedCodes"/> layout, 4 bits per weight in all; the GEMV adds and
/// subtracts activations (<see cref="GemvTritF32"/>).
/// </summary>
public sealed unsafe class TritPlaneLinear : IQuantizedWeight
{
    public QuantFormat Quant { get; }
    public int InFeatures { get; }
    public int OutFeatures { get; }
    public string Format => Quant.Name;
    public int GroupLength { get; }
    public int Groups => InFeatures / GroupLength;
    public long ByteSize => 4L * (_p1.Length * 4 + _a1.Length * 2);

    readonly int _words;
    readonly uint[] _p1, _m1, _p2, _m2; // each [out, words]
    readonly float[] _a1, _a2;          // each [out, groups]

    /// <summary>Packs plain planes: <paramref name="t1"/>, <paramref name="t2"/> [out, in] in {−1,0,1}; α [out, groups].</summary>
    public TritPlaneLinear(QuantFormat format, int outFeatures, int inFeatures, sbyte[] t1, sbyte[] t2, float[] alpha1, float[] alpha2, string layer = "weight")
    {
        if (format.Kind != QuantKind.TritPlanes) throw new QuantReasonException($"{format.Name} is not a trit-plane format", layer);
        format.Validate(outFeatures, inFeatures, layer);
        GroupLength = format.GroupLength(inFeatures);
        long n = (long)outFeatures * inFeatures;
        int groups = inFeatures / GroupLength;
        if (t1.Length != n || t2.Length != n || alpha1.Length != outFeatures * groups || alpha2.Length != outFeatures * groups)
            throw new QuantReasonException($"trit planes/scales do not match [{outFeatures}, {inFeatures}] with {groups} groups per row", layer);
        Quant = format; OutFeatures = outFeatures; InFeatures = inFeatures;
        _words = PackedCodes.WordsPerRow(inFeatures, 1);
        (_p1, _m1) = PackPlane(t1, outFeatures, inFeatures, _words, layer);
        (_p2, _m2) = PackPlane(t2, outFeatures, inFeatures, _words, layer);
        _a1 = (float[])alpha1.Clone(); _a2 = (float[])alpha2.Clone();
    }

    static (uint[] plus, uint[] minus) PackPlane(sbyte[] t, int outF, int inF, int words, string layer)
    {
        var plus = new uint[(long)outF * words];
        var minus = new uint[(long)outF * words];
        var p = new byte[inF];
        var m = new byte[inF];
        for (int o = 0; o < outF; o++)
        {
            for (int k = 0; k < inF; k++)
            {
                sbyte v = t[(long)o * inF + k];
                if (v < -1 || v > 1) throw new QuantReasonException($"trit value {v} at [{o}, {k}] is not in {{−1, 0, 1}}", layer);
                p[k] = (byte)(v == 1 ? 1 : 0);
                m[k] = (byte)(v == -1 ? 1 : 0);
            }
            PackedCodes.PackRow(p, 1, 0, plus.AsSpan(o * words, words));
            PackedCodes.PackRow(m, 1, 0, minus.AsSpan(o * words, words));
        }
        return (plus, minus);
    }

    /// <summary>The plain planes and scales back (exact inverse of the constructor's packing).</summary>
    public (sbyte[] T1, sbyte[] T2, float[] Alpha1, float[] Alpha2) Unpack()
    {
        var t1 = new sbyte[(long)OutFeatures * InFeatures];
        var t2 = new sbyte[t1.Length];
        WithRows(r =>
        {
            for (int o = 0; o < OutFeatures; o++)
                for (int k = 0; k < InFeatures; k++)
                {
                    t1[(long)o * InFeatures + k] = (sbyte)r.Trit(1, o, k);
                    t2[(long)o * InFeatures + k] = (sbyte)r.Trit(2, o, k);
                }
        });
        return (t1, t2, (float[])_a1.Clone(), (float[])_a2.Clone());
    }

    public void WithRows(Action<TritRows> body)
    {
        fixed (uint* p1 = _p1, m1 = _m1, p2 = _p2, m2 = _m2)
        fixed (float* a1 = _a1, a2 = _a2)
            body(new TritRows(OutFeatures, InFeatures, GroupLength, _words, p1, m1, p2, m2, a1, a2));
    }

    public float[] ToF32()
    {
        var (t1, t2, a1, a2) = Unpack();
        var w = new float[t1.Length];
        for (int o = 0; o < OutFeatures; o++)
            for (int k = 0; k < InFeatures; k++)
            {
                long i = (long)o * InFeatures + k;
                int g = o * Groups + k / GroupLength;
                w[i] = a1[g] * t1[i] + a2[g] * t2[i];
            }
        return w;
    }

    public void Forward(ReadOnlySpan<float> x, Span<float> y, int tokens) => Forward(x, y, tokens, true);

    public void Forward(ReadOnlySpan<float> x, Span<float> y, int tokens, bool allowSimd)
    {
        var xt = new float[InFeatures];
        var yt = new float[OutFeatures];
        for (int t = 0; t < tokens; t++)
        {
            x.Slice(t * InFeatures, InFeatures).CopyTo(xt);
            WithRows(r => GemvTritF32.Run(r, xt, yt, allowSimd));
            yt.CopyTo(y.Slice(t * OutFeatures, OutFeatures));
        }
    }

    public void ForwardReference(ReadOnlySpan<float> x, Span<float> y, int tokens)
    {
        var xt = new float[InFeatures];
        var yt = new float[OutFeatures];
        for (int t = 0; t < tokens; t++)
        {
            x.Slice(t * InFeatures, InFeatures).CopyTo(xt);
            WithRows(r => GemvTritF32.Reference(r, xt, yt));
            yt.CopyTo(y.Slice(t * OutFeatures, OutFeatures));
        }
    }
}
