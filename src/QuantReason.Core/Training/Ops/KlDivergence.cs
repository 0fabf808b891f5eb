using QuantReason.Kernels;

namespace QuantReason.Training.Ops;

/// <summary>
/// Distillation term per token: T²·KL(softmax(teacher/T) ‖ softmax(student/T)). Its gradient w.r.t. the student logits
/// is T·(softmax(student/T) − softmax(teacher/T)); the T² keeps gradient magnitudes comparable across temperatures.
/// </summary>
public static class KlDivergence
{
    /// <summary>kl[t] for every token; student, teacher [tokens, vocab].</summary>
    public static void Forward(float[] student, float[] teacher, int tokens, int vocab, float temperature, float[] kl)
    {
        KernelThreads.For(tokens, 1, (s, e) =>
        {
            var ps = new double[vocab];
            var pt = new double[vocab];
            for (int t = s; t < e; t++)
            {
                LogSoftmax(student.AsSpan(t * vocab, vocab), temperature, ps);
                LogSoftmax(teacher.AsSpan(t * vocab, vocab), temperature, pt);
                double sum = 0;
                for (int v = 0; v < vocab; v++) sum += Math.Exp(pt[v]) * (pt[v] - ps[v]);
                kl[t] = (float)(temperature * temperature * sum);
            }
        }, vocab * 4);
    }

    /// <summary>dstudient[t] (+)= w[t]·T·(softmax(student/T) − softmax(teacher/T)).</summary>
    public static void Backward(float[] student, float[] teacher, int tokens, int vocab, float temperature, float[] weights,
        float[] dstudent, bool accumulate)
    {
        KernelThreads.For(tokens, 1, (s, e) =>
        {
            var ps = new double[vocab];
            var pt = new double[vocab];
            for (int t = s; t < e; t++)
            {
                var d = dstudent.AsSpan(t * vocab, vocab);
                float w = weights[t];
                if (w == 0f) { if (!accumulate) d.Clear(); continue; }
                LogSoftmax(student.AsSpan(t * vocab, vocab), temperature, ps);
                LogSoftmax(teacher.AsSpan(t * vocab, vocab), temperature, pt);
                for (int v = 0; v < vocab; v++)
                {
                    float g = (float)(w * temperature * (Math.Exp(ps[v]) - Math.Exp(pt[v])));
                    d[v] = accumulate ? d[v] + g : g;
                }
            }
        }, vocab * 4);
    }

    static void LogSoftmax(ReadOnlySpan<float> z, float temperature, double[] dst)
    {
        double max = double.NegativeInfinity;
        for (int v = 0; v < z.Length; v++) max = Math.Max(max, z[v] / (double)temperature);
        double sum = 0;
        for (int v = 0; v < z.Length; v++) sum += Math.Exp(z[v] / (double)temperature - max);
        double lse = max + Math.Log(sum);
        for (int v = 0; v < z.Length; v++) dst[v] = z[v] / (double)temperature - lse;
    }
}
