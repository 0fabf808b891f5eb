using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace QuantReason.Kernels;

/// <summary>
/// Y = X·Wᵀ for several tokens and group-quantized W through the blocked GEMM: W is dequantized (ŵ = s·(q − z),
/// bit-identical to the reference dequantization) straight into the GEMM's packed B blocks, one [256, 512] block at a
/// time per thread, so unpacking is shared by all tokens, the threads split the weight rows (each streams its own part
/// of W once per call) and no f32 weight matrix is formed.
/// </summary>
public static unsafe class GemmQxF32
{
    public static void Run(PackedRows w, ReadOnlySpan<float> x, Span<float> y, int tokens, bool allowSimd = true)
    {
        bool simd = allowSimd && GemvQxF32.SimdAvailable;
        if (!simd)
        {
            RunPortable(w, x, y, tokens);
            return;
        }
        fixed (float* px = x, py = y)
            GemmF32F32.MultiplyNT(tokens, w.Out, w.In, px, w.In, new Panels(w), py, w.Out);
    }

    /// <summary>W as GEMM panels: four rows' columns [p0, p0 + kc) dequantized, then transposed into their panel
    /// columns 8 × 4 at a time.</summary>
    sealed class Panels(PackedRows w) : IPanelSource
    {
        public void Pack(int p0, int kc, int j0, int nc, float* dst, int nr)
        {
            int ld = (kc + 7) & ~7;
            float* rows = stackalloc float[4 * ld]; // [4, ld] four rows' dequantized columns, zero-padded
            for (int jr = 0; jr < nc; jr += nr)
            {
                float* panel = dst + (long)jr * kc;
                for (int j = 0; j < nr; j += 4)
                {
                    for (int i = 0; i < 4; i++)
                    {
                        float* r = rows + i * ld;
                        if (jr + j + i < nc) DequantRangeAvx2(w, j0 + jr + j + i, p0, p0 + kc, r);
                        else new Span<float>(r, kc).Clear();
                        new Span<float>(r + kc, ld - kc).Clear();
                    }
                    int p = 0;
                    for (; p + 8 <= kc; p += 8)
                        GemmF32F32.Transpose4x8(Vector256.Load(rows + p), Vector256.Load(rows + ld + p), Vector256.Load(rows + 2 * ld + p),
                            Vector256.Load(rows + 3 * ld + p), panel + (long)p * nr + j, nr);
                    for (; p < kc; p++)
                        for (int i = 0; i < 4; i++) panel[(long)p * nr + j + i] = rows[i * ld + p];
                }
            }
        }
    }

    /// <summary>Portable fallback: one dequantized row at a time, dotted with every token.</summary>
    static void RunPortable(PackedRows w, ReadOnlySpan<float> x, Span<float> y, int tokens)
    {
        fixed (float* px = x, py = y)
        {
            float* xp = px, yp = py;
            KernelThreads.For(w.Out, 4, (r0, r1) =>
            {
                var row = new float[w.In]; // [in] one dequantized row
                for (int o = r0; o < r1; o++)
                {
                    GemvQxF32.DequantRow(w, o, row);
                    for (int t = 0; t < tokens; t++)
                        yp[(long)t * w.Out + o] = TensorPrimitives.Dot(new ReadOnlySpan<float>(xp + (long)t * w.In, w.In), row);
                }
            }, (long)w.In * tokens);
        }
    }

    /// <summary>SIMD dequantization of one row: shift, mask, convert, then s·(q − z) per 8 codes.</summary>
    public static void DequantRowAvx2(in PackedRows w, int o, Span<float> dst)
    {
        fixed (float* d = dst) DequantRangeAvx2(w, o, 0, w.In, d);
    }

    /// <summary>Columns [k0, k1) of row o dequantized into dst[0 .. k1 − k0); k0 a multiple of 8.</summary>
    public static void DequantRangeAvx2(in PackedRows w, int o, int k0, int k1, float* dst)
    {
        int lb = w.LoBits, cpwLog = lb switch { 1 => 5, 2 => 4, 4 => 3, _ => 2 }, cpwMask = (1 << cpwLog) - 1;
        var mask = Vector256.Create((1u << lb) - 1);
        var one = Vector256.Create(1u);
        bool three = w.Bits == 3;
        float* d = dst - k0;
        int k = k0;
        for (; k + 8 <= k1; k += 8)
        {
            int c = k >> 3, g = k / w.GroupLength;
            var s = Vector256.Create(w.Scale(o, g));
            var z = Vector256.Create(w.Zero(o, g));
            var q = Avx2.And(Avx2.ShiftRightLogical(Avx.LoadVector256(w.LoWord(o, (c >> cpwLog) * 8)), Vector128.CreateScalar((uint)((c & cpwMask) * lb))), mask);
            if (three)
                q = Avx2.Or(q, Avx2.ShiftLeftLogical(Avx2.And(Avx2.ShiftRightLogical(Avx.LoadVector256(w.HiWord(o, (c >> 5) * 8)), Vector128.CreateScalar((uint)(c & 31))), one), 2));
            Avx.Store(d + k, Avx.Multiply(s, Avx.Subtract(Avx.ConvertToVector256Single(q.AsInt32()), z)));
        }
        for (; k < k1; k++)
        {
            int g = k / w.GroupLength;
            d[k] = w.Scale(o, g) * (w.Code(o, k) - w.Zero(o, g));
        }
    }
}
