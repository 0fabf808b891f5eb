using QuantReason.Kernels;

namespace QuantReason.Training.Ops;

/// <summary>The SwiGLU gate of the Llama MLP: h = silu(gate) ⊙ up, elementwise; down_proj follows as a <see cref="Linear"/>.</summary>
public static class SwiGlu
{
    public static void Forward(float[] gate, float[] up, float[] h, int n)
    {
        KernelThreads.For(n, 64, (s, e) =>
        {
            for (int i = s; i < e; i++)
            {
                float g = gate[i];
                h[i] = g / (1f + MathF.Exp(-g)) * up[i];
            }
        });
    }

    /// <summary>dgate = dh ⊙ up ⊙ silu'(gate), dup = dh ⊙ silu(gate), silu'(g) = σ(g)(1 + g(1 − σ(g))).
    /// dgate / dup may alias gate / up (each element is read before it is written).</summary>
    public static void Backward(float[] gate, float[] up, float[] dh, float[] dgate, float[] dup, int n)
    {
        KernelThreads.For(n, 64, (s, e) =>
        {
            for (int i = s; i < e; i++)
            {
                float g = gate[i], u = up[i], d = dh[i];
                float sg = 1f / (1f + MathF.Exp(-g));
                dgate[i] = d * u * sg * (1f + g * (1f - sg));
                dup[i] = d * g * sg;
            }
        });
    }
}
