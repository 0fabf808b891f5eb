using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace QuantReason.Kernels;

/// <summary>
/// Y = X·Wᵀ for several tokens and group-quantized W: a slab of <see cref="RowBlock"/> rows is dequantized
/// (ŵ = s·(q − z), bit-identical to the reference dequantization) and multiplied with all tokens by the blocked GEMM,
/// so unpacking is shared by all tokens, the GEMM runs at full speed, and no f32 weight matrix is formed.
/// </summary>
public static unsafe class GemmQxF32
{
    /// <summary>Rows dequantized per step: a [RowBlock, in] f32 slab (at most a few MB), never the whole matrix.</summary>
    public const int RowBlock = 96;

    public static void Run(PackedRows w, ReadOnlySpan<float> x, Span<float> y, int tokens, bool allowSimd = true)
    {
        bool simd = allowSimd && GemvQxF32.SimdAvailable;
        if (!simd)
        {
            RunPortable(w, x, y, tokens);
            return;
        }
        y.Slice(0, tokens * w.Out).Clear(); // the GEMM accumulates
        var slab = new float[(long)RowBlock * w.In]; // [RowBlock, in] dequantized rows
        fixed (float* px = x, py = y, ps = slab)
        {
            float* sp = ps;
            for (int r0 = 0; r0 < w.Out; r0 += RowBlock)
            {
                int rows = Math.Min(RowBlock, w.Out - r0), rr0 = r0;
                KernelThreads.For(rows, 1, (s, e) =>
                {
                    for (int o = s; o < e; o++) DequantRowAvx2(w, rr0 + o, new Span<float>(sp + (long)o * w.In, w.In));
                }, w.In);
                // y[t, r0 + j] = Σ_k x[t, k]·ŵ[j, k]: the quantizers' blocked GEMM on the slab.
                Quantization.LinAlg.Gemm.Run(tokens, rows, w.In, 1f, px, 1, w.In, sp, 1, w.In, py + r0, w.Out);
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
        int lb = w.LoBits, cpwLog = lb switch { 1 => 5, 2 => 4, 4 => 3, _ => 2 }, cpwMask = (1 << cpwLog) - 1;
        var mask = Vector256.Create((1u << lb) - 1);
        var one = Vector256.Create(1u);
        uint* lo = w.Lo + (long)o * w.WordsLo;
        uint* hi = w.Bits == 3 ? w.Hi + (long)o * w.WordsHi : null;
        int chunksPerGroup = w.GroupLength / 8, c = 0;
        fixed (float* d = dst)
            for (int g = 0; g < w.Groups; g++)
            {
                var s = Vector256.Create(w.Scales[(long)o * w.Groups + g]);
                var z = Vector256.Create(w.Zeros[(long)o * w.Groups + g]);
                for (int ce = c + chunksPerGroup; c < ce; c++)
                {
                    var q = Avx2.And(Avx2.ShiftRightLogical(Avx.LoadVector256(lo + (c >> cpwLog) * 8), Vector128.CreateScalar((uint)((c & cpwMask) * lb))), mask);
                    if (hi != null)
                        q = Avx2.Or(q, Avx2.ShiftLeftLogical(Avx2.And(Avx2.ShiftRightLogical(Avx.LoadVector256(hi + (c >> 5) * 8), Vector128.CreateScalar((uint)(c & 31))), one), 2));
                    Avx.Store(d + c * 8, Avx.Multiply(s, Avx.Subtract(Avx.ConvertToVector256Single(q.AsInt32()), z)));
                }
            }
    }
}
