using QuantReason.Quantization;
namespace QuantReason.Weights;

/// <summary>
/// An integer-quantized weight in its plain, unpacked form: one code per weight in the original column order, per-group
/// scale and zero, and the group of each input channel (<c>g_idx</c>; non-monotonic after GPTQ act-order). Packed
/// layouts (<see cref="QuantizedLinear"/>, GPTQ and AWQ checkpoints) convert to and from this form.
/// </summary>
public sealed record QuantizedTensor(
    QuantFormat Format,
    int OutFeatures,
    int InFeatures,
    byte[] Codes,   // [out, in]
    float[] Scales, // [out, groups]
    float[] Zeros,  // [out, groups], integer-valued
    int[] GIdx)     // [in]
{
    public int GroupCount => Scales.Length / OutFeatures;

    /// <summary>ŵ[o,k] = s[o,g]·(q[o,k] − z[o,g]) with g = g_idx[k], in f32 as the reference does it.</summary>
    public float[] Dequantize()
    {
        var w = new float[(long)OutFeatures * InFeatures];
        int groups = GroupCount;
        for (int o = 0; o < OutFeatures; o++)
            for (int k = 0; k < InFeatures; k++)
            {
                int g = o * groups + GIdx[k];
                w[(long)o * InFeatures + k] = Scales[g] * (Codes[(long)o * InFeatures + k] - Zeros[g]);
            }
        return w;
    }

    /// <summary>The standard g_idx: input channel k belongs to group k / groupLength.</summary>
    public static int[] SequentialGIdx(int inFeatures, int groupLength)
    {
        var g = new int[inFeatures];
        for (int k = 0; k < inFeatures; k++) g[k] = k / groupLength;
        return g;
    }

    /// <summary>Checks shapes and code range once, naming the layer on failure.</summary>
    public QuantizedTensor Validated(string layer)
    {
        Format.Validate(OutFeatures, InFeatures, layer);
        long n = (long)OutFeatures * InFeatures;
        if (Codes.Length != n) throw new QuantReasonException($"codes have {Codes.Length} entries, expected {n}", layer);
        if (GIdx.Length != InFeatures) throw new QuantReasonException($"g_idx has {GIdx.Length} entries, expected {InFeatures}", layer);
        if (Scales.Length % OutFeatures != 0 || Zeros.Length != Scales.Length)
            throw new QuantReasonException($"scales/zeros have {Scales.Length}/{Zeros.Length} entries, not a multiple of out_features {OutFeatures}", layer);
        int groups = GroupCount;
        foreach (var g in GIdx)
            if ((uint)g >= (uint)groups) throw new QuantReasonException($"g_idx entry {g} outside [0, {groups})", layer);
        int maxq = Format.MaxQ;
        foreach (var c in Codes)
            if (c > maxq) throw new QuantReasonException($"code {c} exceeds {Format.Bits}-bit range", layer);
        return this;
    }
}
