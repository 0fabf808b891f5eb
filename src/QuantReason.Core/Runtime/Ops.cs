using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using QuantReason.Tensors;

namespace QuantReason.Runtime;

/// <summary>The small element-wise operations of the forward pass, vectorised through TensorPrimitives.</summary>
public static class Ops
{
    /// <summary>RMSNorm of <paramref name="rows"/> rows of width <paramref name="dim"/>: y = w ⊙ x / sqrt(mean(x²) + eps).
    /// In-place (y == x) is allowed.</summary>
    /// <remarks>With <paramref name="bf16"/>, rounds where transformers does for a bf16 model: the normalised row is cast to
    /// bf16 before the weight multiplies it, and the product is bf16.</remarks>
    public static void RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> y, int rows, int dim, float eps, bool bf16 = false)
    {
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * dim, dim);
            var yr = y.Slice(r * dim, dim);
            float ss = TensorPrimitives.SumOfSquares(xr);
            float inv = 1f / MathF.Sqrt(ss / dim + eps);
            TensorPrimitives.Multiply(xr, inv, yr);
            if (bf16) RoundToBF16(yr);
            TensorPrimitives.Multiply(yr, w, yr);
            if (bf16) RoundToBF16(yr);
        }
    }

    /// <summary>Rounds every element to the nearest bf16 (ties to even), keeping it in f32 storage: emulates a bf16 tensor.</summary>
    public static void RoundToBF16(Span<float> x)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var lsb = Vector256.Create(1u);
            var bias = Vector256.Create(0x7fffu);
            var mask = Vector256.Create(0xffff0000u);
            ref float r = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
            for (; i + 8 <= x.Length; i += 8)
            {
                var u = Vector256.LoadUnsafe(ref r, (nuint)i).AsUInt32();
                var rounded = (u + bias + ((u >> 16) & lsb)) & mask;
                // NaN would round into infinity; keep it NaN (no finite activation ever is).
                var isNan = Vector256.GreaterThan(u & Vector256.Create(0x7fffffffu), Vector256.Create(0x7f800000u));
                Vector256.ConditionalSelect(isNan, u, rounded).AsSingle().StoreUnsafe(ref r, (nuint)i);
            }
        }
        for (; i < x.Length; i++) x[i] = DTypes.BF16ToF32(DTypes.F32ToBF16(x[i]));
    }

    public static void AddBias(Span<float> x, ReadOnlySpan<float> bias, int rows)
    {
        int dim = bias.Length;
        for (int r = 0; r < rows; r++) TensorPrimitives.Add(x.Slice(r * dim, dim), bias, x.Slice(r * dim, dim));
    }

    /// <summary>
    /// Rotary embedding in the "rotate half" layout transformers uses: pairs (i, i + headDim/2) rotate by pos·invFreq[i].
    /// The angle is formed in f32 as transformers forms it; cos and sin are then exact to f32 rounding.
    /// </summary>
    public static void Rope(Span<float> x, ReadOnlySpan<int> positions, int heads, int headDim, ReadOnlySpan<float> invFreq, bool bf16 = false)
    {
        int half = headDim / 2, width = heads * headDim;
        Span<float> cos = stackalloc float[half], sin = stackalloc float[half];
        for (int t = 0; t < positions.Length; t++)
        {
            float pos = positions[t];
            for (int i = 0; i < half; i++)
            {
                float angle = pos * invFreq[i];
                cos[i] = (float)Math.Cos(angle);
                sin[i] = (float)Math.Sin(angle);
            }
            if (bf16) { RoundToBF16(cos); RoundToBF16(sin); }
            for (int hd = 0; hd < heads; hd++)
            {
                var v = x.Slice(t * width + hd * headDim, headDim);
                for (int i = 0; i < half; i++)
                {
                    float a = v[i], b = v[i + half];
                    if (bf16)
                    {
                        // q·cos + rotate_half(q)·sin as three bf16 tensor ops, each rounded.
                        v[i] = R(R(a * cos[i]) - R(b * sin[i]));
                        v[i + half] = R(R(b * cos[i]) + R(a * sin[i]));
                    }
                    else
                    {
                        v[i] = a * cos[i] - b * sin[i];
                        v[i + half] = b * cos[i] + a * sin[i];
                    }
                }
            }
        }
    }

    static float R(float v) => DTypes.BF16ToF32(DTypes.F32ToBF16(v));

    /// <summary>SwiGLU: y = silu(gate) ⊙ up, silu(g) = g·σ(g). In-place (y == gate) is allowed.</summary>
    public static void SwiGlu(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> y, bool bf16 = false)
    {
        const int chunk = 4096;
        Span<float> sig = stackalloc float[Math.Min(chunk, gate.Length)];
        for (int i = 0; i < gate.Length; i += chunk)
        {
            int n = Math.Min(chunk, gate.Length - i);
            var g = gate.Slice(i, n);
            var s = sig[..n];
            TensorPrimitives.Sigmoid(g, s);
            TensorPrimitives.Multiply(g, s, s);
            if (bf16) RoundToBF16(s);
            TensorPrimitives.Multiply(s, up.Slice(i, n), y.Slice(i, n));
            if (bf16) RoundToBF16(y.Slice(i, n));
        }
    }
}
