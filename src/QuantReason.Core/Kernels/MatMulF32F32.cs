namespace QuantReason.Kernels;

/// <summary>y = x·Wᵀ with f32 weights [rows, k] and f32 activations [tokens, k].</summary>
public static unsafe class MatMulF32F32
{
    public static void Forward(float* w, int rows, int k, float* x, int tokens, float* y) =>
        MatMul<F32Loader, float>.Forward(w, rows, k, x, tokens, y);

    public static void Reference(float* w, int rows, int k, float* x, int tokens, float* y) =>
        MatMul<F32Loader, float>.Reference(w, k, x, tokens, y, rows, 0, rows);
}
