namespace QuantReason.Kernels;

/// <summary>y = x·Wᵀ with bf16 weights [rows, k] (widened on the fly) and f32 activations [tokens, k].</summary>
public static unsafe class MatMulBF16F32
{
    public static void Forward(ushort* w, int rows, int k, float* x, int tokens, float* y) =>
        MatMul<BF16Loader, ushort>.Forward(w, rows, k, x, tokens, y);

    public static void Reference(ushort* w, int rows, int k, float* x, int tokens, float* y) =>
        MatMul<BF16Loader, ushort>.Reference(w, k, x, tokens, y, rows, 0, rows);
}
