using System.Numerics.Tensors;
using QuantReason.Kernels;

namespace QuantReason.Training.Ops;

/// <summary>
/// RMSNorm as transformers computes it in f32: y = w ⊙ x / sqrt(mean(x²) + eps), row by row. Also used per head for
/// Qwen3's q_norm / k_norm (rows = tokens × heads, dim = head_dim).
/// </summary>
public static class RmsNorm
{
    /// <param name="x">[rows, dim]</param>
    /// <param name="w">[dim]</param>
    /// <param name="y">[rows, dim]; may not alias x</param>
    /// <param name="rstd">[rows] saved for the backward</param>
    public static void Forward(float[] x, float[] w, int rows, int dim, float eps, float[] y, float[] rstd)
    {
        KernelThreads.For(rows, 1, (s, e) =>
        {
            for (int r = s; r < e; r++)
            {
                var xr = x.AsSpan(r * dim, dim);
                float ms = TensorPrimitives.Dot(xr, xr) / dim;
                float inv = 1f / MathF.Sqrt(ms + eps);
                rstd[r] = inv;
                var yr = y.AsSpan(r * dim, dim);
                TensorPrimitives.Multiply(xr, inv, yr);
                TensorPrimitives.Multiply(yr, w, yr);
            }
        }, dim);
    }

    /// <summary>dx = rstd·(dxhat − xhat·mean(dxhat⊙xhat)) with dxhat = dy⊙w, xhat = x·rstd; dw += Σ_rows dy⊙xhat.
    /// dx may alias dy. dw is null for a frozen weight.</summary>
    public static void Backward(float[] x, float[] w, float[] rstd, float[] dy, int rows, int dim, float[] dx, float[]? dw)
    {
        if (dw is not null)
        {
            // Threads split the columns, and each column sums its rows in order, so the weight gradient never depends
            // on the thread count.
            KernelThreads.For(dim, 16, (c0, c1) =>
            {
                int n = c1 - c0;
                Span<float> xhat = stackalloc float[n];
                var acc = dw.AsSpan(c0, n);
                for (int r = 0; r < rows; r++)
                {
                    TensorPrimitives.Multiply(x.AsSpan(r * dim + c0, n), rstd[r], xhat);
                    TensorPrimitives.MultiplyAdd(dy.AsSpan(r * dim + c0, n), xhat, acc, acc);
                }
            }, rows);
        }
        KernelThreads.For(rows, 1, (s, e) =>
        {
            var g = new float[dim];
            for (int r = s; r < e; r++)
            {
                var xr = x.AsSpan(r * dim, dim);
                TensorPrimitives.Multiply(dy.AsSpan(r * dim, dim), w, g); // dxhat
                float inv = rstd[r];
                float c = TensorPrimitives.Dot(g, xr) * inv / dim;          // mean(dxhat ⊙ xhat)
                var dxr = dx.AsSpan(r * dim, dim);
                // dx = inv·g − inv·c·(x·inv)
                TensorPrimitives.Multiply(xr, -c * inv * inv, dxr);
                TensorPrimitives.MultiplyAdd(g, inv, dxr, dxr);
            }
        }, dim);
    }
}
