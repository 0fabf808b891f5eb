using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace QuantReason.Kernels;

/// <summary>
/// int8 × int8 → int32 dot products for W8A8: Σ_k a[k]·b[k] exactly in int32. AVX-VNNI (vpdpbusd) when the CPU has
/// it, else AVX2 (vpmaddubsw + vpmaddwd; both operands are in [−127, 127] so the int16 pair sums, at most 2·127² = 32258,
/// never saturate), else scalar. Every path is exact, so they must agree bit for bit with <see cref="DotScalar"/>.
/// </summary>
public static unsafe class GemmI8I8
{
    public static bool VnniAvailable => AvxVnni.IsSupported;

    public static int DotScalar(sbyte* a, sbyte* b, int n)
    {
        int acc = 0;
        for (int k = 0; k < n; k++) acc += a[k] * b[k];
        return acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Dot(sbyte* a, sbyte* b, int n, bool allowSimd = true)
    {
        if (allowSimd && VnniAvailable) return DotVnni(a, b, n);
        if (allowSimd && Avx2.IsSupported) return DotAvx2(a, b, n);
        return DotScalar(a, b, n);
    }

    public static int DotAvx2(sbyte* a, sbyte* b, int n)
    {
        var acc0 = Vector256<int>.Zero;
        var acc1 = Vector256<int>.Zero;
        var ones = Vector256.Create((short)1);
        int k = 0;
        for (; k + 64 <= n; k += 64)
        {
            var a0 = Avx.LoadVector256(a + k); var b0 = Avx.LoadVector256(b + k);
            var a1 = Avx.LoadVector256(a + k + 32); var b1 = Avx.LoadVector256(b + k + 32);
            // |a| as unsigned times b carrying a's sign: the u8×s8 form vpmaddubsw needs.
            var p0 = Avx2.MultiplyAddAdjacent(Avx2.Abs(a0), Avx2.Sign(b0, a0));
            var p1 = Avx2.MultiplyAddAdjacent(Avx2.Abs(a1), Avx2.Sign(b1, a1));
            acc0 = Avx2.Add(acc0, Avx2.MultiplyAddAdjacent(p0, ones));
            acc1 = Avx2.Add(acc1, Avx2.MultiplyAddAdjacent(p1, ones));
        }
        for (; k + 32 <= n; k += 32)
        {
            var a0 = Avx.LoadVector256(a + k); var b0 = Avx.LoadVector256(b + k);
            acc0 = Avx2.Add(acc0, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Avx2.Abs(a0), Avx2.Sign(b0, a0)), ones));
        }
        int s = Vector256.Sum(Avx2.Add(acc0, acc1));
        for (; k < n; k++) s += a[k] * b[k];
        return s;
    }

    public static int DotVnni(sbyte* a, sbyte* b, int n)
    {
        var acc0 = Vector256<int>.Zero;
        var acc1 = Vector256<int>.Zero;
        int k = 0;
        for (; k + 64 <= n; k += 64)
        {
            var a0 = Avx.LoadVector256(a + k); var b0 = Avx.LoadVector256(b + k);
            var a1 = Avx.LoadVector256(a + k + 32); var b1 = Avx.LoadVector256(b + k + 32);
            acc0 = AvxVnni.MultiplyWideningAndAdd(acc0, Avx2.Abs(a0), Avx2.Sign(b0, a0));
            acc1 = AvxVnni.MultiplyWideningAndAdd(acc1, Avx2.Abs(a1), Avx2.Sign(b1, a1));
        }
        int s = Vector256.Sum(Avx2.Add(acc0, acc1));
        for (; k < n; k++) s += a[k] * b[k];
        return s;
    }

    /// <summary>C[t, o] = Σ_k A[t, k]·B[o, k] (A: activations [tokens, n], B: weights [out, n]), split over rows of B.</summary>
    public static void Run(sbyte* a, sbyte* b, int* c, int tokens, int outFeatures, int n, bool allowSimd = true)
    {
        KernelThreads.For(outFeatures, 4, (r0, r1) =>
        {
            for (int o = r0; o < r1; o++)
                for (int t = 0; t < tokens; t++)
                    c[(long)t * outFeatures + o] = Dot(a + (long)t * n, b + (long)o * n, n, allowSimd);
        }, (long)n * tokens);
    }
}
