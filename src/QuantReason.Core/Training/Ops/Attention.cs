using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using QuantReason.Kernels;

namespace QuantReason.Training.Ops;

/// <summary>
/// Causal scaled-dot-product attention with grouped-query heads: query head h reads key/value head h / (heads/kvHeads).
/// Layout is token-major as the projections produce it: q [tokens, heads·d], k, v [tokens, kvHeads·d], out [tokens, heads·d]
/// with tokens = batch·seqLen. The softmax probabilities are kept for the backward ([batch, heads, seqLen, seqLen]).
/// The projections, Qwen2's q/k/v biases and Qwen3's q_norm/k_norm are composed around this in <see cref="AttentionBlock"/>.
/// </summary>
public static class Attention
{
    public static void Forward(float[] q, float[] k, float[] v, int batch, int seqLen, int heads, int kvHeads, int headDim,
        float[] probs, float[] output)
    {
        KernelThreads.For(batch * heads, 1, (s, e) => ForwardRange(q, k, v, seqLen, heads, kvHeads, headDim, probs, output, s, e),
            (long)seqLen * seqLen * headDim * 2);
    }

    // Hot loops live in named methods compiled fully optimized at once: a lambda called a few times per step would
    // otherwise run its long loop in tier-0 code for the first steps.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void ForwardRange(float[] q, float[] k, float[] v, int seqLen, int heads, int kvHeads, int headDim,
        float[] probs, float[] output, int s, int e)
    {
        int group = heads / kvHeads, qd = heads * headDim, kd = kvHeads * headDim, ss = seqLen * seqLen;
        float scale = 1f / MathF.Sqrt(headDim);
        {
            for (int bh = s; bh < e; bh++)
            {
                int b = bh / heads, h = bh % heads, g = h / group;
                var p = probs.AsSpan(bh * ss, ss); // [S, S]
                int qOff = b * seqLen * qd + h * headDim, kOff = b * seqLen * kd + g * headDim;
                // scores [S, S] = Q_bh · K_bgᵀ
                GemmF32F32.Multiply(false, true, seqLen, seqLen, headDim, q.AsSpan(qOff), qd, k.AsSpan(kOff), kd, p, seqLen, parallel: false);
                for (int i = 0; i < seqLen; i++)
                {
                    var row = p.Slice(i * seqLen, i + 1); // the causal prefix j ≤ i
                    float max = TensorPrimitives.Max(row) * scale;
                    TensorPrimitives.Multiply(row, scale, row);
                    TensorPrimitives.Subtract(row, max, row);
                    TensorPrimitives.Exp(row, row);
                    TensorPrimitives.Multiply(row, 1f / TensorPrimitives.Sum(row), row);
                    p.Slice(i * seqLen + i + 1, seqLen - i - 1).Clear(); // causal mask
                }
                // out_bh [S, d] = P · V_bg
                GemmF32F32.Multiply(false, false, seqLen, headDim, seqLen, p, seqLen, v.AsSpan(kOff), kd, output.AsSpan(qOff), qd, parallel: false);
            }
        }
    }

    /// <summary>dq, dk, dv are overwritten. dS = P ⊙ (dP − rowsum(P ⊙ dP)), dP = dO·Vᵀ; dQ = scale·dS·K, dK = scale·dSᵀ·Q,
    /// dV = Pᵀ·dO. Work is split by (batch, kv head) so the heads sharing a kv head add into it in a fixed order.</summary>
    public static void Backward(float[] q, float[] k, float[] v, float[] probs, float[] dOut, int batch, int seqLen, int heads,
        int kvHeads, int headDim, float[] dq, float[] dk, float[] dv)
    {
        KernelThreads.For(batch * kvHeads, 1, (s, e) => BackwardRange(q, k, v, probs, dOut, seqLen, heads, kvHeads, headDim, dq, dk, dv, s, e),
            (long)seqLen * seqLen * headDim * 8 * (heads / kvHeads));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void BackwardRange(float[] q, float[] k, float[] v, float[] probs, float[] dOut, int seqLen, int heads,
        int kvHeads, int headDim, float[] dq, float[] dk, float[] dv, int s, int e)
    {
        int group = heads / kvHeads, qd = heads * headDim, kd = kvHeads * headDim, ss = seqLen * seqLen;
        float scale = 1f / MathF.Sqrt(headDim);
        {
            var dS = new float[ss]; // [S, S]
            for (int bg = s; bg < e; bg++)
            {
                int b = bg / kvHeads, g = bg % kvHeads;
                int kOff = b * seqLen * kd + g * headDim;
                for (int hi = 0; hi < group; hi++)
                {
                    int h = g * group + hi, bh = b * heads + h;
                    int qOff = b * seqLen * qd + h * headDim;
                    var p = probs.AsSpan(bh * ss, ss);
                    bool acc = hi > 0;
                    // dV_bg (+)= Pᵀ · dO_bh
                    GemmF32F32.Multiply(true, false, seqLen, headDim, seqLen, p, seqLen, dOut.AsSpan(qOff), qd, dv.AsSpan(kOff), kd, acc, parallel: false);
                    // dP = dO_bh · V_bgᵀ
                    GemmF32F32.Multiply(false, true, seqLen, seqLen, headDim, dOut.AsSpan(qOff), qd, v.AsSpan(kOff), kd, dS, seqLen, parallel: false);
                    for (int i = 0; i < seqLen; i++)
                    {
                        var pr = p.Slice(i * seqLen, i + 1);
                        var dr = dS.AsSpan(i * seqLen, i + 1);
                        float dot = TensorPrimitives.Dot(pr, dr);
                        TensorPrimitives.Subtract(dr, dot, dr);
                        TensorPrimitives.Multiply(dr, pr, dr);
                        TensorPrimitives.Multiply(dr, scale, dr);
                        dS.AsSpan(i * seqLen + i + 1, seqLen - i - 1).Clear();
                    }
                    // dQ_bh = dS · K_bg ; dK_bg (+)= dSᵀ · Q_bh
                    GemmF32F32.Multiply(false, false, seqLen, headDim, seqLen, dS, seqLen, k.AsSpan(kOff), kd, dq.AsSpan(qOff), qd, parallel: false);
                    GemmF32F32.Multiply(true, false, seqLen, headDim, seqLen, dS, seqLen, q.AsSpan(qOff), qd, dk.AsSpan(kOff), kd, acc, parallel: false);
                }
            }
        }
    }
}
