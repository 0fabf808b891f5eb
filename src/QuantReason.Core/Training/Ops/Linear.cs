using QuantReason.Kernels;

namespace QuantReason.Training.Ops;

/// <summary>y = x·Wᵀ + b with W [out, in] in the Hugging Face layout; the backward gives dx, dW and db.</summary>
public static class Linear
{
    /// <param name="x">[tokens, in]</param>
    /// <param name="w">[out, in]</param>
    /// <param name="b">[out] or null</param>
    /// <param name="y">[tokens, out]</param>
    public static void Forward(float[] x, float[] w, float[]? b, int tokens, int inDim, int outDim, float[] y, bool accumulate = false)
    {
        GemmF32F32.NT(tokens, outDim, inDim, x, w, y, accumulate);
        if (b is not null)
            KernelThreads.For(tokens, 1, (s, e) =>
            {
                for (int t = s; t < e; t++)
                {
                    var row = y.AsSpan(t * outDim, outDim);
                    System.Numerics.Tensors.TensorPrimitives.Add(row, b, row);
                }
            }, outDim);
    }

    /// <summary>dx (+)= dy·W; dW += dyᵀ·x; db += Σ_t dy. Any of dx, dW, db may be null to skip it.</summary>
    public static void Backward(float[] x, float[] w, float[] dy, int tokens, int inDim, int outDim,
        float[]? dx, float[]? dw, float[]? db, bool accumulateDx = false)
    {
        if (dx is not null) GemmF32F32.NN(tokens, inDim, outDim, dy, w, dx, accumulateDx);
        if (dw is not null) GemmF32F32.TN(outDim, inDim, tokens, dy, x, dw, accumulate: true);
        if (db is not null)
            KernelThreads.For(outDim, 16, (c0, c1) =>
            {
                // Column ranges per thread, tokens in order: the sum does not depend on the thread count.
                var acc = db.AsSpan(c0, c1 - c0);
                for (int t = 0; t < tokens; t++)
                    System.Numerics.Tensors.TensorPrimitives.Add(acc, dy.AsSpan(t * outDim + c0, c1 - c0), acc);
            }, tokens);
    }
}
