using System.Numerics.Tensors;
using QuantReason.Kernels;

namespace QuantReason.Training.Ops;

/// <summary>
/// Per-token cross-entropy on logits: nll[t] = logsumexp(z[t]) − z[t, target[t]], with target −1 meaning "no target"
/// (nll 0, no gradient). The losses built on it (mean CE, DPO's sequence log-probs) only choose per-token weights
/// w[t] = dLoss/dnll[t]; the backward is then dz[t] = w[t]·(softmax(z[t]) − onehot(target[t])).
/// </summary>
public static class CrossEntropy
{
    /// <param name="logits">[tokens, vocab]</param>
    /// <param name="targets">[tokens], −1 = ignored</param>
    /// <param name="nll">[tokens] out</param>
    /// <param name="lse">[tokens] out, saved for the backward</param>
    public static void Forward(float[] logits, int tokens, int vocab, int[] targets, float[] nll, float[] lse)
    {
        KernelThreads.For(tokens, 1, (s, e) =>
        {
            for (int t = s; t < e; t++)
            {
                var z = logits.AsSpan(t * vocab, vocab);
                float max = TensorPrimitives.Max(z);
                double sum = 0;
                for (int v = 0; v < vocab; v++) sum += Math.Exp(z[v] - max);
                float l = max + (float)Math.Log(sum);
                lse[t] = l;
                int y = targets[t];
                if (y >= vocab) throw new QuantReasonException($"target id {y} is outside the vocabulary of {vocab}", $"token {t}");
                nll[t] = y < 0 ? 0f : l - z[y];
            }
        }, vocab);
    }

    /// <summary>The masked mean: Σ nll over targeted tokens / their count (0 when there are none).</summary>
    public static float MeanLoss(float[] nll, int[] targets, int tokens, out int count)
    {
        double sum = 0;
        count = 0;
        for (int t = 0; t < tokens; t++)
            if (targets[t] >= 0) { sum += nll[t]; count++; }
        return count == 0 ? 0f : (float)(sum / count);
    }

    /// <summary>dz[t] = w[t]·(softmax(z[t]) − onehot(target[t])); dlogits may alias logits.</summary>
    public static void Backward(float[] logits, float[] lse, int[] targets, float[] weights, int tokens, int vocab, float[] dlogits)
    {
        KernelThreads.For(tokens, 1, (s, e) =>
        {
            for (int t = s; t < e; t++)
            {
                var z = logits.AsSpan(t * vocab, vocab);
                var d = dlogits.AsSpan(t * vocab, vocab);
                int y = targets[t];
                float w = y < 0 ? 0f : weights[t];
                if (w == 0f) { d.Clear(); continue; }
                float l = lse[t];
                for (int v = 0; v < vocab; v++) d[v] = w * MathF.Exp(z[v] - l);
                d[y] -= w;
            }
        }, vocab);
    }

    /// <summary>Next-token targets of a [batch, seqLen] block: target[b,s] = ids[b,s+1] where mask[b,s+1] = 1, else −1.</summary>
    public static int[] NextTokenTargets(ReadOnlySpan<int> ids, ReadOnlySpan<int> mask, int batch, int seqLen)
    {
        var targets = new int[batch * seqLen];
        for (int b = 0; b < batch; b++)
            for (int s = 0; s < seqLen; s++)
            {
                int t = b * seqLen + s;
                targets[t] = s + 1 < seqLen && mask[t + 1] != 0 ? ids[t + 1] : -1;
            }
        return targets;
    }
}
