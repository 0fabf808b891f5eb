using QuantReason.Quantization;
namespace QuantReason.Weights;

/// <summary>Scale and zero point of one quantization group: q = clamp(round(w/s) + z, 0, maxq), ŵ = s·(q − z).</summary>
public readonly record struct QuantParams(float Scale, float Zero)
{
    /// <summary>The integer code of <paramref name="x"/>, in f32 arithmetic with round-half-to-even as torch does it.</summary>
    public int Code(float x, int maxq) => (int)Math.Clamp(MathF.Round(x / Scale) + Zero, 0f, maxq);

    /// <summary>The dequantized value of a code: s·(q − z), one f32 subtraction and one f32 multiply.</summary>
    public float Dequantize(int q) => Scale * (q - Zero);

    /// <summary>Round-to-nearest onto this grid (the reference quantizer's <c>quantize</c>).</summary>
    public float Quantize(float x, int maxq) => Dequantize(Code(x, maxq));
}

/// <summary>The reference quantizer's optional MSE clipping grid: try ranges shrunk by p = 1 − i/grid for
/// i &lt; maxShrink·grid and keep the one with the lowest Σ|ŵ − w|^norm.</summary>
public sealed record MseClip(float Norm = 2.4f, int Grid = 100, float MaxShrink = 0.8f);
