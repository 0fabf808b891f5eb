using QuantReason.Weights;
namespace QuantReason.Quantization;

/// <summary>
/// Round-to-nearest with min-max ranges per group, exactly as the GPTQ reference quantizer (<c>find_params</c> in
/// <c>quant.py</c>) computes them in f32: the range always contains 0; symmetric ranges are ±max|w| with zero
/// (maxq+1)/2; an all-zero group gets the range [−1, 1]; optionally an MSE search over shrunk ranges.
/// </summary>
public static class Rtn
{
    /// <summary>Scale and zero for one group of values.</summary>
    public static QuantParams FindParams(ReadOnlySpan<float> x, int bits, bool sym, MseClip? mse = null)
    {
        int maxq = (1 << bits) - 1;
        float xmin = 0f, xmax = 0f; // torch.minimum(x.min(), 0), torch.maximum(x.max(), 0)
        foreach (var v in x)
        {
            if (v < xmin) xmin = v;
            if (v > xmax) xmax = v;
        }
        if (sym)
        {
            xmax = MathF.Max(MathF.Abs(xmin), xmax);
            if (xmin < 0) xmin = -xmax;
        }
        if (xmin == 0 && xmax == 0) { xmin = -1; xmax = 1; }

        var p = Params(xmin, xmax, maxq, sym);
        if (mse is null) return p;

        float best = float.PositiveInfinity;
        for (int i = 0; i < (int)(mse.MaxShrink * mse.Grid); i++)
        {
            float shrink = (float)(1.0 - (double)i / mse.Grid);
            var cand = Params(shrink * xmin, shrink * xmax, maxq, sym);
            float err = 0f;
            foreach (var v in x) err += MathF.Pow(MathF.Abs(cand.Quantize(v, maxq) - v), mse.Norm);
            if (err < best) { best = err; p = cand; }
        }
        return p;
    }

    static QuantParams Params(float xmin, float xmax, int maxq, bool sym)
    {
        float scale = (xmax - xmin) / maxq;
        float zero = sym ? (maxq + 1) / 2 : MathF.Round(-xmin / scale);
        return new QuantParams(scale, zero);
    }

    /// <summary>Quantizes a weight [out, in] group by group (along in) into codes, scales and zeros.</summary>
    public static QuantizedTensor Quantize(ReadOnlySpan<float> w /* [out, in] */, int outFeatures, int inFeatures, QuantFormat format,
        string layer = "weight", MseClip? mse = null)
    {
        if (format.Kind != QuantKind.IntN && format.Kind != QuantKind.W8A8)
            throw new QuantReasonException($"RTN produces integer formats, not {format.Name}", layer);
        format.Validate(outFeatures, inFeatures, layer);
        if (w.Length != (long)outFeatures * inFeatures)
            throw new QuantReasonException($"weight has {w.Length} values, expected {outFeatures}×{inFeatures}", layer);
        int gl = format.GroupLength(inFeatures), groups = inFeatures / gl, maxq = format.MaxQ;
        var codes = new byte[(long)outFeatures * inFeatures];
        var scales = new float[outFeatures * groups];
        var zeros = new float[outFeatures * groups];
        for (int o = 0; o < outFeatures; o++)
            for (int g = 0; g < groups; g++)
            {
                var seg = w.Slice(o * inFeatures + g * gl, gl);
                var p = FindParams(seg, format.Bits, format.Symmetric, mse);
                scales[o * groups + g] = p.Scale;
                zeros[o * groups + g] = p.Zero;
                var dst = codes.AsSpan(o * inFeatures + g * gl, gl);
                for (int k = 0; k < gl; k++) dst[k] = (byte)p.Code(seg[k], maxq);
            }
        return new QuantizedTensor(format, outFeatures, inFeatures, codes, scales, zeros, QuantizedTensor.SequentialGIdx(inFeatures, gl));
    }

    /// <summary>RTN then dequantize: the fake-quantized f32 weight.</summary>
    public static float[] FakeQuantize(ReadOnlySpan<float> w, int outFeatures, int inFeatures, QuantFormat format, MseClip? mse = null) =>
        Quantize(w, outFeatures, inFeatures, format, mse: mse).Dequantize();
}
