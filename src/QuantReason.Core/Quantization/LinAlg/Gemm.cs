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
    public const int KBlock = 256;
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
            int iTiles = (m + MR - 1) / MR;
            for (int t0 = 0; t0 < k; t0 += kb)
            {
                int kk = Math.Min(kb, k - t0);
                float* at = a + t0 * aRow, bt = b + t0 * bRow;
                KernelThreads.For(aPanels, 1, (s, e) => Pack(at, aRow, aCol, m, kk, s, e, A), (long)kk * P);
                if (!same) KernelThreads.For(bPanels, 1, (s, e) => Pack(bt, bRow, bCol, n, kk, s, e, B), (long)kk * P);
                // Column blocks of NC keep their packed B (NC·kk·4 bytes) in L2 while threads sweep row tiles;
                // each row tile's C rows are then updated contiguously.
                for (int j0 = 0; j0 < n; j0 += NC)
                {
                    int nc = Math.Min(NC, n - j0);
                    int itLo = 0, itHi = iTiles;
                    if (tri == Triangle.Upper) itHi = Math.Min(iTiles, (j0 + nc - 1) / MR + 1);
                    if (tri == Triangle.Lower) itLo = j0 / MR;
                    if (itLo >= itHi) continue;
                    int jb = j0;
                    KernelThreads.For(itHi - itLo, 1, (s, e) => Tiles(A, B, kk, alpha, c, ldc, m, n, tri, itLo + s, itLo + e, jb, nc),
                        (long)nc * kk * MR);
                }
            }
        }
    }

    const int NC = 240;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Tiles(float* A, float* B, int kk, float alpha, float* c, long ldc, int m, int n, Triangle tri, int it0, int it1, int j0, int nc)
    {
        float* tile = stackalloc float[MR * NR];
        for (int it = it0; it < it1; it++)
        {
            int i0 = it * MR, mi = Math.Min(MR, m - i0);
            float* ap = A + (long)(i0 / P) * kk * P + i0 % P;
            for (int jt = j0; jt < j0 + nc; jt += NR)
            {
                if (tri == Triangle.Upper && i0 > jt + NR - 1) continue;
                if (tri == Triangle.Lower && i0 + MR - 1 < jt) break;
                Kernel4x24(ap, B + (long)(jt / P) * kk * P, kk, (long)kk * P, tile);
                int nj = Math.Min(NR, n - jt);
                for (int r = 0; r < mi; r++)
                {
                    float* crow = c + (i0 + r) * ldc + jt;
                    int jlo = tri == Triangle.Upper ? Math.Max(0, i0 + r - jt) : 0;
                    int jhi = tri == Triangle.Lower ? Math.Min(nj, i0 + r - jt + 1) : nj;
                    float* tr = tile + r * NR;
                    int q = jlo;
                    if (jlo == 0 && jhi == NR)
                    {
                        var av = Vector256.Create(alpha);
                        for (; q < NR; q += 8) Avx.Store(crow + q, Fma.MultiplyAdd(av, Avx.LoadVector256(tr + q), Avx.LoadVector256(crow + q)));
                    }
                    for (; q < jhi; q++) crow[q] += alpha * tr[q];
                }
            }
        }
    }

    /// <summary>Packs panels [p0, p1) of 8 columns of a t-block, zero-padding past cols.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Pack(float* src, long row, long col, int cols, int kk, int p0, int p1, float* dst)
    {
        for (int p = p0; p < p1; p++)
        {
            float* d = dst + (long)p * kk * P;
            int c0 = p * P, cn = Math.Min(P, cols - c0);
            if (cn == P && col == 1)
                for (int t = 0; t < kk; t++) Avx.Store(d + t * P, Avx.LoadVector256(src + t * row + c0));
            else if (cn == P && row == 1)
                // Transposed source: column c0+q is contiguous along t.
                for (int q = 0; q < P; q++)
                {
                    float* sc = src + (c0 + q) * col;
                    for (int t = 0; t < kk; t++) d[t * P + q] = sc[t];
                }
            else
                for (int t = 0; t < kk; t++)
                    for (int q = 0; q < P; q++) d[t * P + q] = q < cn ? src[t * row + (c0 + q) * col] : 0f;
        }
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
