using QuantReason.Kernels;

namespace QuantReason.Quantization.LinAlg;

/// <summary>Shorthands over <see cref="GemmF32F32"/> for the quantizers' calibration maths.</summary>
public static class MatMul
{
    /// <summary>Y = X·Wᵀ: x [tokens, in], w [out, in] → [tokens, out].</summary>
    public static float[] XWt(ReadOnlySpan<float> x, int tokens, ReadOnlySpan<float> w, int outFeatures, int inFeatures)
    {
        var y = new float[(long)tokens * outFeatures];
        GemmF32F32.NT(tokens, outFeatures, inFeatures, x, w, y);
        return y;
    }

    /// <summary>Σ (a − b)² in f64.</summary>
    public static double SquaredError(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) { double d = (double)a[i] - b[i]; s += d * d; }
        return s;
    }
}
