using QuantReason.Kernels;
using QuantReason.Quantization;

namespace QuantReason.Weights;

/// <summary>
/// W8A8 (SmoothQuant's execution format): int8 weights with one symmetric scale per output channel, activations
/// quantized per token at run time (s_x = max|x|/127), y[t,o] = s_x[t]·s_w[o]·Σ_k q_x[t,k]·q_w[o,k] with an exact int32 sum.
/// </summary>
public sealed unsafe class W8A8Linear : IQuantizedWeight
{
    public QuantFormat Quant { get; } = QuantFormat.Parse("w8a8");
    public int InFeatures { get; }
    public int OutFeatures { get; }
    public string Format => Quant.Name;
    public long ByteSize => Codes.Length + 4L * Scales.Length;

    /// <summary>[out, in] weight codes in [−127, 127].</summary>
    public sbyte[] Codes { get; }
    /// <summary>[out] per-channel scales.</summary>
    public float[] Scales { get; }

    public W8A8Linear(int outFeatures, int inFeatures, sbyte[] codes, float[] scales, string layer = "weight")
    {
        if (codes.Length != (long)outFeatures * inFeatures || scales.Length != outFeatures)
            throw new QuantReasonException($"W8A8 tensors have {codes.Length} codes / {scales.Length} scales, expected [{outFeatures}, {inFeatures}] / [{outFeatures}]", layer);
        foreach (var c in codes)
            if (c == sbyte.MinValue) throw new QuantReasonException("W8A8 weight code −128 is outside the symmetric range [−127, 127]", layer);
        OutFeatures = outFeatures; InFeatures = inFeatures; Codes = codes; Scales = scales;
    }

    /// <summary>Per-channel symmetric int8 RTN: s = max|w|/127 (1 for an all-zero row), q = round(w/s).</summary>
    public static W8A8Linear Quantize(ReadOnlySpan<float> w /* [out, in] */, int outFeatures, int inFeatures, string layer = "weight")
    {
        QuantFormat.Parse("w8a8").Validate(outFeatures, inFeatures, layer);
        var codes = new sbyte[(long)outFeatures * inFeatures];
        var scales = new float[outFeatures];
        for (int o = 0; o < outFeatures; o++)
        {
            var row = w.Slice(o * inFeatures, inFeatures);
            scales[o] = QuantizeRow(row, codes.AsSpan(o * inFeatures, inFeatures));
        }
        return new W8A8Linear(outFeatures, inFeatures, codes, scales, layer);
    }

    /// <summary>Symmetric int8 quantization of one vector; returns its scale. Used for weight rows and token activations.</summary>
    public static float QuantizeRow(ReadOnlySpan<float> v, Span<sbyte> q)
    {
        // MaxMagnitude returns the signed element of largest magnitude; the scale needs its absolute value.
        float amax = MathF.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(v));
        float s = amax > 0 ? amax / 127f : 1f;
        for (int k = 0; k < v.Length; k++) q[k] = (sbyte)Math.Clamp(MathF.Round(v[k] / s), -127f, 127f);
        return s;
    }

    public float[] ToF32()
    {
        var w = new float[Codes.Length];
        for (int o = 0; o < OutFeatures; o++)
            for (int k = 0; k < InFeatures; k++) w[(long)o * InFeatures + k] = Scales[o] * Codes[(long)o * InFeatures + k];
        return w;
    }

    public void Forward(ReadOnlySpan<float> x, Span<float> y, int tokens) => Forward(x, y, tokens, true);

    public void Forward(ReadOnlySpan<float> x, Span<float> y, int tokens, bool allowSimd)
    {
        var qx = new sbyte[(long)tokens * InFeatures]; // [tokens, in]
        var sx = new float[tokens];
        for (int t = 0; t < tokens; t++) sx[t] = QuantizeRow(x.Slice(t * InFeatures, InFeatures), qx.AsSpan(t * InFeatures, InFeatures));
        var acc = new int[(long)tokens * OutFeatures]; // [tokens, out]
        fixed (sbyte* a = qx, b = Codes)
        fixed (int* c = acc)
            GemmI8I8.Run(a, b, c, tokens, OutFeatures, InFeatures, allowSimd);
        for (int t = 0; t < tokens; t++)
            for (int o = 0; o < OutFeatures; o++)
                y[t * OutFeatures + o] = sx[t] * Scales[o] * acc[t * OutFeatures + o];
    }

    /// <summary>The definition: dynamic per-token int8 activations times int8 weights, summed in f64.</summary>
    public void ForwardReference(ReadOnlySpan<float> x, Span<float> y, int tokens)
    {
        var q = new sbyte[InFeatures];
        for (int t = 0; t < tokens; t++)
        {
            float sx = QuantizeRow(x.Slice(t * InFeatures, InFeatures), q);
            for (int o = 0; o < OutFeatures; o++)
            {
                double acc = 0;
                for (int k = 0; k < InFeatures; k++) acc += (double)q[k] * Codes[(long)o * InFeatures + k];
                y[t * OutFeatures + o] = (float)(sx * Scales[o] * acc);
            }
        }
    }
}
