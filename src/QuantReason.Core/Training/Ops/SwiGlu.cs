using System.Numerics.Tensors;
using QuantReason.Kernels;

namespace QuantReason.Training.Ops;

/// <summary>The SwiGLU gate of the Llama MLP: h = silu(gate) ⊙ up, elementwise; the down projection follows as a <see cref="Linear"/>.</summary>
public static class SwiGlu
{
    const int Chunk = 1024;

    public static void Forward(float[] gate, float[] up, float[] h, int n)
    {
        KernelThreads.For(n, Chunk, (s, e) =>
        {
            var sg = h.AsSpan(s, e - s);
            TensorPrimitives.Sigmoid(gate.AsSpan(s, e - s), sg);
            TensorPrimitives.Multiply(sg, gate.AsSpan(s, e - s), sg);
            TensorPrimitives.Multiply(sg, up.AsSpan(s, e - s), sg);
        });
    }

    /// <summary>dgate = dh ⊙ up ⊙ silu'(gate), dup = dh ⊙ silu(gate), silu'(g) = σ(g)(1 + g(1 − σ(g))).
    /// dgate / dup may alias gate / up (each element is read before it is written).</summary>
    public static void Backward(float[] gate, float[] up, float[] dh, float[] dgate, float[] dup, int n)
    {
        KernelThreads.For(n, Chunk, (s, e) =>
        {
            Span<float> sg = stackalloc float[Chunk];
            for (int c = s; c < e; c += Chunk)
            {
                int len = Math.Min(Chunk, e - c);
                var sig = sg[..len];
                TensorPrimitives.Sigmoid(gate.AsSpan(c, len), sig);
                for (int i = 0; i < len; i++)
                {
                    float g = gate[c + i], u = up[c + i], d = dh[c + i], sgi = sig[i];
                    dgate[c + i] = d * u * sgi * (1f + g * (1f - sgi));
                    dup[c + i] = d * g * sgi;
                }
            }
        });
    }
}
