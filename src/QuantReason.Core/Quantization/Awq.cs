using QuantReason.Quantization.LinAlg;
using QuantReason.Weights;

namespace QuantReason.Quantization;

/// <summary>AWQ settings (AutoAWQ defaults: grid of 20, clip shrink up to 0.5).</summary>
public sealed record AwqOptions(int Bits = 4, int GroupSize = 128, bool ZeroPoint = true, int Grid = 20, double MaxShrink = 0.5,
    bool Clip = true, int MinTokens = 16, int ClipTokens = 512);

/// <summary>AWQ's result for the linears sharing one input: per-input-channel scales s (fold X ← X/s into the previous
/// op), the quantized scaled weights Q(W·diag(s)) in the same order, the chosen α and the output error.</summary>
public sealed record AwqResult(float[] InputScales, IReadOnlyList<QuantizedTensor> Quantized, double Alpha, double OutputError);

/// <summary>
/// AWQ (Lin et al. 2024): for the linears W_i that read the same input X, search s = mean|X|^α over α = i/grid,
/// i &lt; grid, normalised by √(max s·min s), minimising ‖X·Wᵀ − (X/s)·Q(W·diag s)ᵀ‖² summed over the linears;
/// then, per output row and group, shrink the clipping range max|w|·(1 − i/grid), i &lt; maxShrink·grid, to minimise the
/// group's own output error. X ← X/s is folded into the preceding RMSNorm or linear by the caller.
/// </summary>
public static class Awq
{
    public static AwqResult Quantize(IReadOnlyList<float[]> weights /* each [out_i, in] */, IReadOnlyList<int> outFeatures, int inFeatures,
        float[] x /* [tokens, in] */, int tokens, AwqOptions opt, string layer = "awq")
    {
        var (bestS, bestAlpha, reference) = SearchScales(weights, outFeatures, inFeatures, x, tokens, opt, layer);
        var results = new List<QuantizedTensor>();
        double total = 0;
        for (int i = 0; i < weights.Count; i++)
        {
            var qt = QuantizeScaled(ScaleColumns(weights[i], outFeatures[i], bestS, divide: false), outFeatures[i], inFeatures, x, tokens, bestS, opt, layer);
            var eff = ScaleColumns(qt.Dequantize(), outFeatures[i], bestS, divide: true);
            total += MatMul.SquaredError(MatMul.XWt(x, tokens, eff, outFeatures[i], inFeatures), reference[i]);
            results.Add(qt);
        }
        return new AwqResult(bestS, results, bestAlpha, total);
    }

    /// <summary>The scale search alone: the best s, its α, and the reference outputs X·W_iᵀ it was judged against.</summary>
    public static (float[] Scales, double Alpha, float[][] Reference) SearchScales(IReadOnlyList<float[]> weights, IReadOnlyList<int> outFeatures,
        int inFeatures, float[] x /* [tokens, in] */, int tokens, AwqOptions opt, string layer = "awq")
    {
        var format = QuantFormat.Int(opt.Bits, opt.GroupSize, !opt.ZeroPoint, layer);
        for (int i = 0; i < weights.Count; i++) format.Validate(outFeatures[i], inFeatures, layer);
        if (tokens < opt.MinTokens) throw new QuantReasonException($"too few calibration tokens: {tokens} < {opt.MinTokens}", layer);
        if (x.Length < (long)tokens * inFeatures) throw new QuantReasonException($"calibration activations have {x.Length} values, expected {tokens}×{inFeatures}", layer);

        // mean |x| per input channel.
        var xMean = new double[inFeatures];
        for (int t = 0; t < tokens; t++)
            for (int k = 0; k < inFeatures; k++) xMean[k] += Math.Abs(x[(long)t * inFeatures + k]);
        for (int k = 0; k < inFeatures; k++) xMean[k] /= tokens;

        var reference = weights.Select((w, i) => MatMul.XWt(x, tokens, w, outFeatures[i], inFeatures)).ToArray();
        double bestErr = double.PositiveInfinity, bestAlpha = 0;
        float[] bestS = Enumerable.Repeat(1f, inFeatures).ToArray();
        for (int g = 0; g < opt.Grid; g++)
        {
            double alpha = (double)g / opt.Grid;
            var s = Scales(xMean, alpha);
            double err = 0;
            for (int i = 0; i < weights.Count; i++)
            {
                var q = AwqQuantizer.Quantize(ScaleColumns(weights[i], outFeatures[i], s, divide: false), outFeatures[i], inFeatures, format, layer).Dequantize();
                var eff = ScaleColumns(q, outFeatures[i], s, divide: true); // Q(W·s)/s: the same outputs as (X/s)·Q(W·s)ᵀ
                err += MatMul.SquaredError(MatMul.XWt(x, tokens, eff, outFeatures[i], inFeatures), reference[i]);
            }
            if (err < bestErr) { bestErr = err; bestAlpha = alpha; bestS = s; }
        }
        return (bestS, bestAlpha, reference);
    }

    /// <summary>The clipping search (when enabled) and group quantization of an already scaled weight W·diag(s), judged
    /// on the scaled activations X/s.</summary>
    public static QuantizedTensor QuantizeScaled(float[] ws /* [out, in], scaled */, int outFeatures, int inFeatures, float[] x /* [tokens, in] */,
        int tokens, float[] s, AwqOptions opt, string layer = "awq")
    {
        var format = QuantFormat.Int(opt.Bits, opt.GroupSize, !opt.ZeroPoint, layer);
        format.Validate(outFeatures, inFeatures, layer);
        if (opt.Clip) ClipSearch(ws, outFeatures, inFeatures, x, tokens, s, format, opt);
        return AwqQuantizer.Quantize(ws, outFeatures, inFeatures, format, layer);
    }

    /// <summary>s = mean|x|^α (floored at 1e-4), divided by √(max s · min s) as AutoAWQ does.</summary>
    public static float[] Scales(double[] xMean, double alpha)
    {
        var s = xMean.Select(m => Math.Max(Math.Pow(m, alpha), 1e-4)).ToArray();
        double norm = Math.Sqrt(s.Max() * s.Min());
        return s.Select(v => (float)(v / norm)).ToArray();
    }

    static float[] ScaleColumns(float[] w, int rows, float[] s, bool divide)
    {
        int cols = s.Length;
        var r = new float[w.Length];
        for (int o = 0; o < rows; o++)
            for (int k = 0; k < cols; k++) r[o * cols + k] = divide ? w[o * cols + k] / s[k] : w[o * cols + k] * s[k];
        return r;
    }

    /// <summary>Per (row, group): clamp to ±max|w|·(1 − i/grid) for the i minimising Σ_t (x_t·(Q(w_clipped) − w))² on the group,
    /// with x the scaled activations X/s. Clamps <paramref name="ws"/> in place.</summary>
    static void ClipSearch(float[] ws, int rows, int cols, float[] x, int tokens, float[] s, QuantFormat format, AwqOptions opt)
    {
        int gl = format.GroupLength(cols), groups = cols / gl, maxq = format.MaxQ;
        int nt = Math.Min(tokens, opt.ClipTokens), steps = (int)(opt.MaxShrink * opt.Grid);
        var xs = new float[(long)nt * cols]; // [nt, cols] = X/s on a token subset (evenly strided)
        for (int t = 0; t < nt; t++)
        {
            long src = (long)(t * (long)tokens / nt) * cols;
            for (int k = 0; k < cols; k++) xs[(long)t * cols + k] = x[src + k] / s[k];
        }
        Kernels.KernelThreads.For(rows, 1, (r0, r1) =>
        {
            var cand = new float[gl];
            var diff = new float[gl];
            for (int o = r0; o < r1; o++)
                for (int g = 0; g < groups; g++)
                {
                    var w = ws.AsSpan(o * cols + g * gl, gl);
                    float amax = 0;
                    foreach (var v in w) amax = MathF.Max(amax, MathF.Abs(v));
                    double best = double.PositiveInfinity; float bestMax = amax;
                    for (int i = 0; i < steps; i++)
                    {
                        float mv = amax * (float)(1 - (double)i / opt.Grid);
                        for (int k = 0; k < gl; k++) cand[k] = Math.Clamp(w[k], -mv, mv);
                        var p = AwqQuantizer.FindParams(cand, format.Bits, !format.Symmetric);
                        for (int k = 0; k < gl; k++) diff[k] = p.Quantize(cand[k], maxq) - w[k];
                        double err = 0;
                        for (int t = 0; t < nt; t++)
                        {
                            double d = System.Numerics.Tensors.TensorPrimitives.Dot(xs.AsSpan((int)((long)t * cols + g * gl), gl), diff);
                            err += d * d;
                        }
                        if (err < best) { best = err; bestMax = mv; }
                    }
                    for (int k = 0; k < gl; k++) w[k] = Math.Clamp(w[k], -bestMax, bestMax);
                }
        }, (long)gl * nt * steps);
    }
}
