using QuantReason.Weights;
namespace QuantReason.Quantization;

/// <summary>
/// AutoAWQ's group quantizer (<c>pseudo_quantize_tensor</c>): with a zero point, s = max(max − min, 1e-5)/(2^b − 1) and
/// z = clamp(−round(min/s), 0, 2^b − 1) over the group's own range (0 need not be inside it); without, s = max|w|/(2^(b−1) − 1)
/// and codes −2^(b−1) … 2^(b−1) − 1, stored offset by z = 2^(b−1).
/// </summary>
public static class AwqQuantizer
{
    public static QuantParams FindParams(ReadOnlySpan<float> w, int bits, bool zeroPoint)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity, amax = 0;
        foreach (var v in w) { min = MathF.Min(min, v); max = MathF.Max(max, v); amax = MathF.Max(amax, MathF.Abs(v)); }
        int maxq = (1 << bits) - 1;
        if (zeroPoint)
        {
            float s = MathF.Max(max - min, 1e-5f) / maxq;
            return new QuantParams(s, Math.Clamp(-MathF.Round(min / s), 0, maxq));
        }
        float ss = MathF.Max(amax, 1e-5f) / ((1 << (bits - 1)) - 1);
        return new QuantParams(ss, 1 << (bits - 1));
    }

    /// <summary>Quantizes w [out, in] group-wise into codes/scales/zeros.</summary>
    public static QuantizedTensor Quantize(ReadOnlySpan<float> w, int outFeatures, int inFeatures, QuantFormat format, string layer = "weight")
    {
        format.Validate(outFeatures, inFeatures, layer);
        int gl = format.GroupLength(inFeatures), groups = inFeatures / gl, maxq = format.MaxQ;
        var codes = new byte[(long)outFeatures * inFeatures];
        var scales = new float[outFeatures * groups];
        var zeros = new float[outFeatures * groups];
        for (int o = 0; o < outFeatures; o++)
            for (int g = 0; g < groups; g++)
            {
                var seg = w.Slice(o * inFeatures + g * gl, gl);
                var p = FindParams(seg, format.Bits, !format.Symmetric);
                scales[o * groups + g] = p.Scale;
                zeros[o * groups + g] = p.Zero;
                for (int k = 0; k < gl; k++) codes[o * inFeatures + g * gl + k] = (byte)p.Code(seg[k], maxq);
            }
        return new QuantizedTensor(format, outFeatures, inFeatures, codes, scales, zeros, QuantizedTensor.SequentialGIdx(inFeatures, gl));
    }
}
