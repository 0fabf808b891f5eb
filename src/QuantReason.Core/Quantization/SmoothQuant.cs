using QuantReason.Weights;
namespace QuantReason.Quantization;

/// <summary>SmoothQuant's result for the linears sharing one input: smoothing scales s (fold X ← X/s into the previous
/// RMSNorm) and the W8A8 layers holding W·diag(s).</summary>
public sealed record SmoothQuantResult(float[] InputScales, IReadOnlyList<W8A8Linear> Layers);

/// <summary>
/// SmoothQuant (Xiao et al. 2023): s_j = max|X_j|^α / max|W_j|^(1−α) per input channel j (max over tokens and over the
/// rows of every linear reading X), migration strength α (default 0.5); X ← X·diag(s)⁻¹ is folded into the previous
/// RMSNorm, W ← W·diag(s), then weights int8 per output channel and activations int8 per token at run time (W8A8).
/// </summary>
public static class SmoothQuant
{
    public static SmoothQuantResult Quantize(IReadOnlyList<float[]> weights, IReadOnlyList<int> outFeatures, int inFeatures,
        float[] x /* [tokens, in] */, int tokens, double alpha = 0.5, int minTokens = 16, string layer = "smoothquant")
    {
        if (alpha < 0 || alpha > 1) throw new QuantReasonException($"migration strength α = {alpha} outside [0, 1]", layer);
        if (tokens < minTokens) throw new QuantReasonException($"too few calibration tokens: {tokens} < {minTokens}", layer);
        if (x.Length < (long)tokens * inFeatures) throw new QuantReasonException($"calibration activations have {x.Length} values, expected {tokens}×{inFeatures}", layer);
        return QuantizeFromMax(weights, outFeatures, inFeatures, ActivationMax(x, tokens, inFeatures), alpha, layer);
    }

    /// <summary>As above from the per-channel activation maxima alone (what a streaming calibration pass records).</summary>
    public static SmoothQuantResult QuantizeFromMax(IReadOnlyList<float[]> weights, IReadOnlyList<int> outFeatures, int inFeatures,
        float[] actMax /* [in] */, double alpha, string layer = "smoothquant")
    {
        if (alpha < 0 || alpha > 1) throw new QuantReasonException($"migration strength α = {alpha} outside [0, 1]", layer);
        var s = Scales(actMax, weights, outFeatures, inFeatures, alpha, layer);
        var layers = new List<W8A8Linear>();
        for (int i = 0; i < weights.Count; i++)
        {
            var ws = (float[])weights[i].Clone();
            for (int o = 0; o < outFeatures[i]; o++)
                for (int k = 0; k < inFeatures; k++) ws[o * inFeatures + k] *= s[k];
            layers.Add(W8A8Linear.Quantize(ws, outFeatures[i], inFeatures, layer));
        }
        return new SmoothQuantResult(s, layers);
    }

    /// <summary>max |X_j| over tokens, per channel (what a calibration pass records).</summary>
    public static float[] ActivationMax(ReadOnlySpan<float> x, int tokens, int inFeatures)
    {
        var m = new float[inFeatures];
        for (int t = 0; t < tokens; t++)
            for (int k = 0; k < inFeatures; k++) m[k] = MathF.Max(m[k], MathF.Abs(x[t * inFeatures + k]));
        return m;
    }

    public static float[] Scales(float[] actMax, IReadOnlyList<float[]> weights, IReadOnlyList<int> outFeatures, int inFeatures, double alpha, string layer = "smoothquant")
    {
        var wMax = new float[inFeatures];
        for (int i = 0; i < weights.Count; i++)
        {
            if (weights[i].Length != (long)outFeatures[i] * inFeatures)
                throw new QuantReasonException($"weight {i} has {weights[i].Length} values, expected {outFeatures[i]}×{inFeatures}", layer);
            for (int o = 0; o < outFeatures[i]; o++)
                for (int k = 0; k < inFeatures; k++) wMax[k] = MathF.Max(wMax[k], MathF.Abs(weights[i][o * inFeatures + k]));
        }
        var s = new float[inFeatures];
        for (int k = 0; k < inFeatures; k++)
        {
            double a = Math.Max(actMax[k], 1e-5), w = Math.Max(wMax[k], 1e-5);
            s[k] = (float)Math.Max(Math.Pow(a, alpha) / Math.Pow(w, 1 - alpha), 1e-5);
        }
        return s;
    }
}
