using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using QuantReason.Kernels;

namespace QuantReason.Quantization.LinAlg;

/// <summary>Which part of C a GEMM writes: everything, or only j ≥ i (upper) / j ≤ i (lower) for symmetric results.</summary>
public enum Triangle { Full, Upper, Lower }

/// <summary>
/// The quantizers' one f32 GEMM: C[i, j] += α·Σ_t A(t, i)·B(t, j) with A(t, i) = a[t·aRow + i·aCol] and B likewise, so
/// XᵀX, L·Lᵀ updates and GPTQ's lazy block update are all the same call with different strides. Blocked GotoBLAS-style:
/// per block of <see cref="KBlock"/> t, A and B are packed into panels [panel][t][8]; a 4×24 register tile (12 AVX2
/// accumulators, 4 broadcasts + 3 loads per t) runs over them; threads split the 24-column tiles (interleaved from both
/// ends so triangular work balances), each keeping its B tile in L1 while A streams from L2.
/// <see cref="Reference"/> is the plain triple loop the kernel is tested against.
/// </summary>
public static unsafe class Gemm
{
    public const int KBlock = 192;
    const int MR = 4, NR = 24, P = 8;

    public static void Reference(int m, int n, int k, float alpha, float* a, long aRow, long aCol, float* b, long bRow, long bCol,
        float* c, long ldc, Triangle tri = Triangle.Full)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                if ((tri == Triangle.Upper && j < i) || (tri == Triangle.Lower && j > i)) continue;
                double s = 0;
                for (int t = 0; t < k; t++) s += (double)a[t * aRow + i * aCol] * b[t * bRow + j * bCol];
                c[i * ldc + j] += (float)(alpha * s);
            }
    }

    public static void Run(int m, int n, int k, float alpha, float* a, long aRow, long aCol, float* b, long bRow, long bCol,
        float* c, long ldc, Triangle tri = Triangle.Full)
    {
        if (m <= 0 || n <= 0 || k <= 0) return;
        if (!(Avx2.IsSupported && Fma.IsSupported))
        {
            Portable(m, n, k, alpha, a, aRow, aCol, b, bRow, bCol, c, ldc, tri);
            return;
        }
        int aPanels = (m + P - 1) / P;
        int bPanels = (n + NR - 1) / NR * (NR / P);
        int kb = Math.Min(KBlock, k);
        // XᵀX: the same operand on both sides is packed once (A's panels, padded to whole 24-column tiles).
        bool same = b == a && bRow == aRow && bCol == aCol && n == m;
        if (same) aPanels = Math.Max(aPanels, bPanels);
        var pa = GC.AllocateUninitializedArray<float>(aPanels * kb * P + 16, pinned: true); // [aPanels][t][8]
        var pb = same ? pa : GC.AllocateUninitializedArray<float>(bPanels * kb * P + 16, pinned: true); // [bPanels][t][8]
        fixed (float* paP = pa, pbP = pb)
        {
            float* A = paP, B = pbP;
            for (int t0 = 0; t0 < k; t0 += kb)
            {
                int kk = Math.Min(kb, k - t0);
                float* at = a + t0 * aRow, bt = b + t0 * bRow;
                Pack(at, aRow, aCol, m, kk, aPanels, A);
                if (!same) Pack(bt, bRow, bCol, n, kk, bPanels, B);
                int jTiles = (n + NR - 1) / NR, iTiles = (m + MR - 1) / MR;
                KernelThreads.For(jTiles, 1, (s, e) =>
                {
                    var tile = stackalloc float[MR * NR];
                    for (int idx = s; idx < e; idx++)
                    {
                        // Interleave tiles from both ends: tile work grows with j for the upper triangle.
                        int jt = idx % 2 == 0 ? idx / 2 : jTiles - 1 - idx / 2;
                        int j0 = jt * NR;
                        for (int it = 0; it < iTiles; it++)
                        {
                            int i0 = it * MR;
                            if (tri == Triangle.Upper && i0 > j0 + NR - 1) break;
                            if (tri == Triangle.Lower && i0 + MR - 1 < j0) continue;
                            Kernel4x24(A + (long)(i0 / P) * kk * P + i0 % P, B + (long)(j0 / P) * kk * P, kk, (long)kk * P, tile);
                            int mi = Math.Min(MR, m - i0), nj = Math.Min(NR, n - j0);
                            for (int r = 0; r < mi; r++)
                            {
                                float* crow = c + (i0 + r) * ldc + j0;
                                int jlo = tri == Triangle.Upper ? Math.Max(0, i0 + r - j0) : 0;
                                int jhi = tri == Triangle.Lower ? Math.Min(nj, i0 + r - j0 + 1) : nj;
                                for (int q = jlo; q < jhi; q++) crow[q] += alpha * tile[r * NR + q];
                            }
                        }
                    }
                }, (long)m * NR * kk);
            }
        }
    }

    /// <summary>Packs columns [0, cols) of a t-block into panels of 8 columns, zero-padding past cols.</summary>
    static void Pack(float* src, long row, long col, int cols, int kk, int panels, float* dst)
    {
        KernelThreads.For(panels, 1, (s, e) =>
        {
            for (int p = s; p < e; p++)
            {
                float* d = dst + (long)p * kk * P;
                int c0 = p * P, cn = Math.Min(P, cols - c0);
                if (cn == P && col == 1)
                    for (int t = 0; t < kk; t++) Unsafe.CopyBlock(d + t * P, src + t * row + c0, P * 4);
                else
                    for (int t = 0; t < kk; t++)
                        for (int q = 0; q < P; q++) d[t * P + q] = q < cn ? src[t * row + (c0 + q) * col] : 0f;
            }
        }, (long)kk * P);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Kernel4x24(float* a /* panel [t][8], offset to the 4 rows */, float* b /* 3 consecutive panels */, int kk, long panelStride, float* tile)
    {
        Vector256<float> c00 = default, c01 = default, c02 = default, c10 = default, c11 = default, c12 = default;
        Vector256<float> c20 = default, c21 = default, c22 = default, c30 = default, c31 = default, c32 = default;
        float* b0 = b, b1 = b + panelStride, b2 = b + 2 * panelStride;
        for (int t = 0; t < kk; t++)
        {
            var v0 = Avx.LoadVector256(b0 + t * P);
            var v1 = Avx.LoadVector256(b1 + t * P);
            var v2 = Avx.LoadVector256(b2 + t * P);
            float* ar = a + t * P;
            var x = Vector256.Create(ar[0]);
            c00 = Fma.MultiplyAdd(x, v0, c00); c01 = Fma.MultiplyAdd(x, v1, c01); c02 = Fma.MultiplyAdd(x, v2, c02);
            x = Vector256.Create(ar[1]);
            c10 = Fma.MultiplyAdd(x, v0, c10); c11 = Fma.MultiplyAdd(x, v1, c11); c12 = Fma.MultiplyAdd(x, v2, c12);
            x = Vector256.Create(ar[2]);
            c20 = Fma.MultiplyAdd(x, v0, c20); c21 = Fma.MultiplyAdd(x, v1, c21); c22 = Fma.MultiplyAdd(x, v2, c22);
            x = Vector256.Create(ar[3]);
            c30 = Fma.MultiplyAdd(x, v0, c30); c31 = Fma.MultiplyAdd(x, v1, c31); c32 = Fma.MultiplyAdd(x, v2, c32);
        }
        Avx.Store(tile, c00); Avx.Store(tile + 8, c01); Avx.Store(tile + 16, c02);
        Avx.Store(tile + 24, c10); Avx.Store(tile + 32, c11); Avx.Store(tile + 40, c12);
        Avx.Store(tile + 48, c20); Avx.Store(tile + 56, c21); Avx.Store(tile + 64, c22);
        Avx.Store(tile + 72, c30); Avx.Store(tile + 80, c31); Avx.Store(tile + 88, c32);
    }

    /// <summary>Portable fallback (no AVX2): row-times-row dot products in f32.</summary>
    static void Portable(int m, int n, int k, float alpha, float* a, long aRow, long aCol, float* b, long bRow, long bCol,
        float* c, long ldc, Triangle tri)
    {
        KernelThreads.For(m, 1, (s, e) =>
        {
            for (int i = s; i < e; i++)
                for (int j = 0; j < n; j++)
                {
                    if ((tri == Triangle.Upper && j < i) || (tri == Triangle.Lower && j > i)) continue;
                    float acc = 0;
                    for (int t = 0; t < k; t++) acc += a[t * aRow + i * aCol] * b[t * bRow + j * bCol];
                    c[i * ldc + j] += alpha * acc;
                }
        }, (long)n * k);
    }
}

/// <summary>Shorthands over <see cref="Gemm"/> for the quantizers' calibration maths.</summary>
public static unsafe class MatMul
{
    /// <summary>Y = X·Wᵀ: x [tokens, in], w [out, in] → [tokens, out].</summary>
    public static float[] XWt(ReadOnlySpan<float> x, int tokens, ReadOnlySpan<float> w, int outFeatures, int inFeatures)
    {
        var y = new float[(long)tokens * outFeatures];
        fixed (float* px = x, pw = w, py = y)
            Gemm.Run(tokens, outFeatures, inFeatures, 1f, px, 1, inFeatures, pw, 1, inFeatures, py, outFeatures);
        return y;
    }

    /// <summary>Σ (a − b)² in f64.</summary>
    public static double SquaredError(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) { double d = (double)a[i] - b[i]; s += d * d; }
        return s;
    }
}
