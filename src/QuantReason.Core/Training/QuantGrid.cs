using QuantReason.Weights;

namespace QuantReason.Training;

/// <summary>
/// Fake quantization on a fixed integer grid — a PTQ checkpoint's (GPTQ, AWQ, RTN): per group g of row o a scale s and
/// zero z, input column k in group g_idx[k], codes 0..2^b−1. The forward weight is
/// ŵ = s·(clamp(⌊w/s⌉ + z, 0, 2^b−1) − z), exactly the checkpoint's dequantization of the codes it would store; the
/// backward passes dL/dŵ straight through to w where the clamp left the code alone and, with learned scales, gives s
/// the LSQ gradient ∂ŵ/∂s = (q − z) − w/s inside the range and (q − z) where clamped (Esser et al., 2020).
/// The forward uses s rounded to fp16 — the precision the checkpoint stores — so the exported model computes exactly
/// what training computed; the rounding is straight-through for the scale's gradient.
/// </summary>
public sealed class QuantGrid
{
    public QuantFormat Format { get; }
    public int Rows { get; }
    public int Cols { get; }
    public int Groups { get; }
    /// <summary>[rows·groups] (flat, so AdamW's weight decay, which skips vectors, leaves it alone); trainable when learned.</summary>
    public Parameter Scale { get; }
    public float[] Zeros { get; }   // [rows, groups], integer-valued
    public int[] GIdx { get; }      // [cols]

    public QuantGrid(QuantFormat format, int rows, int cols, float[] scales, float[] zeros, int[] gidx, string module, bool learnScales)
    {
        if (format.Kind != QuantKind.IntN) throw new QuantReasonException($"a QAT grid needs integer codes, not {format.Kind}", module);
        Format = format; Rows = rows; Cols = cols; Groups = scales.Length / rows;
        if (Groups * rows != scales.Length || zeros.Length != scales.Length || gidx.Length != cols)
            throw new QuantReasonException($"grid of [{rows}, {cols}] has {scales.Length} scales, {zeros.Length} zeros and {gidx.Length} g_idx entries", module);
        Scale = new Parameter(module + ".weight_scale", (float[])scales.Clone(), scales.Length) { Trainable = learnScales };
        Zeros = zeros;
        GIdx = gidx;
    }

    /// <summary>The grid a checkpoint layer's codes live on; the master weight starts at <see cref="QuantizedTensor.Dequantize"/>.</summary>
    public static QuantGrid From(QuantizedTensor t, string module, bool learnScales) =>
        new(t.Format, t.OutFeatures, t.InFeatures, t.Scales, t.Zeros, t.GIdx, module, learnScales);

    static float Fp16(float s) => (float)(Half)s;

    /// <summary>ŵ [rows, cols] for master weight w, and the straight-through mask (1 where the clamp left the code alone).</summary>
    public (float[] Weight, float[] Mask) Apply(float[] w)
    {
        var (wq, mask) = (new float[w.Length], new float[w.Length]);
        Apply(w, wq, mask);
        return (wq, mask);
    }

    /// <summary>As above into the caller's buffers [rows, cols], without allocating.</summary>
    public void Apply(float[] w, float[] wq, float[] mask)
    {
        for (int o = 0; o < Rows; o++)
            for (int k = 0; k < Cols; k++)
            {
                var (g, i, sc, u, q) = Code(w, o, k);
                wq[i] = sc * (q - Zeros[g]);
                mask[i] = u == q ? 1f : 0f;
            }
    }

    /// <summary>Adds Σ dL/dŵ·∂ŵ/∂s per group into the scale's gradient (LSQ), given dL/dŵ [rows, cols].</summary>
    public void AccumulateScaleGrad(float[] w, float[] dwq)
    {
        var ds = Scale.Grad ?? throw new InvalidOperationException($"{Scale.Name} is frozen");
        for (int o = 0; o < Rows; o++)
            for (int k = 0; k < Cols; k++)
            {
                var (g, i, sc, u, q) = Code(w, o, k);
                float d = u == q ? q - Zeros[g] - w[i] / sc : q - Zeros[g];
                ds[g] += dwq[i] * d;
            }
    }

    /// <summary>Weight (o, k) on the grid: its group, flat index, fp16 scale, unclamped code u and clamped code q (u == q
    /// inside the clip range, where the straight-through gradient passes).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    (int G, int I, float Sc, float U, float Q) Code(float[] w, int o, int k)
    {
        int g = o * Groups + GIdx[k], i = o * Cols + k;
        float sc = Fp16(Scale.Value[g]);
        float u = MathF.Round(w[i] / sc) + Zeros[g];
        return (g, i, sc, u, Math.Clamp(u, 0f, Format.MaxQ));
    }

    /// <summary>The codes the current master weight lands on, with the fp16 scales the forward used: the checkpoint layer.</summary>
    public QuantizedTensor Export(float[] w, string module)
    {
        var codes = new byte[w.Length];
        int maxq = Format.MaxQ;
        var scales = Scale.Value.Select(Fp16).ToArray();
        for (int o = 0; o < Rows; o++)
            for (int k = 0; k < Cols; k++)
            {
                int g = o * Groups + GIdx[k], i = o * Cols + k;
                codes[i] = (byte)Math.Clamp(MathF.Round(w[i] / scales[g]) + Zeros[g], 0f, maxq);
            }
        return new QuantizedTensor(Format, Rows, Cols, codes, scales, (float[])Zeros.Clone(), (int[])GIdx.Clone()).Validated(module);
    }
}
