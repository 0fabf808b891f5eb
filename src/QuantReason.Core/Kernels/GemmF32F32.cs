using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace QuantReason.Kernels;

/// <summary>Which micro-kernel a GEMM runs; <see cref="Auto"/> picks the widest the CPU accelerates.</summary>
public enum GemmPath { Auto, Scalar, Vector256, Vector512 }

/// <summary>Which part of C a GEMM writes: all of it, or only j ≥ i (upper) / j ≤ i (lower) when C is symmetric
/// (XᵀX, a Cholesky trailing update) and the other half is either not needed or must be kept.</summary>
public enum Triangle { Full, Upper, Lower }

/// <summary>A weight W [n, k] that packs its own B = Wᵀ blocks for <see cref="GemmF32F32.MultiplyNT"/>.</summary>
public unsafe interface IPanelSource
{
    /// <summary>Fills dst with W[j0 .. j0+nc, p0 .. p0+kc]ᵀ as panels of <paramref name="nr"/> columns (weight rows),
    /// each [kc, nr] k-major, zero past row j0 + nc.</summary>
    void Pack(int p0, int kc, int j0, int nc, float* dst, int nr);
}

/// <summary>
/// The f32 GEMM of training and of the quantizers' linear algebra: C[m,n] (+)= α·op(A)[m,k] · op(B)[k,n], with
/// op = identity or transpose, so the three shapes of a linear layer's forward (NT: x·Wᵀ), input gradient (NN: dy·W) and
/// weight gradient (TN: dyᵀ·x), a Hessian's XᵀX (<see cref="SymmetricRankK"/>), a Cholesky trailing update and GPTQ's
/// lazy block update need no copies. A <see cref="Triangle"/> restricts the writes (and the work) to one half of C.
/// Goto-style blocking: each thread packs its own rows of A and runs a register-blocked micro-kernel (6×16 with
/// Vector256, 6×32 with Vector512) against packed blocks of B — its own copy when there are rows enough for every thread,
/// else one shared per (k, n) block. Threads split output rows only and every element sums k in the same blocked order,
/// so results do not depend on the thread count. With α ≠ 1 each k-block's partial sum s is stored as fma(α, s, C).
/// </summary>
public static unsafe class GemmF32F32
{
    const int MR = 6;
    const int KC = 256;
    const int MC = 96;
    const int NC = 512;

    static GemmPath Resolve(GemmPath path) => path switch
    {
        GemmPath.Auto when Vector512.IsHardwareAccelerated => GemmPath.Vector512,
        GemmPath.Auto when Vector256.IsHardwareAccelerated => GemmPath.Vector256,
        GemmPath.Auto => GemmPath.Scalar,
        _ => path,
    };

    /// <summary>The path <see cref="GemmPath.Auto"/> resolves to on this machine.</summary>
    public static GemmPath Best => Resolve(GemmPath.Auto);

    /// <summary>C = op(A)·op(B) (or C += … when <paramref name="accumulate"/>). A is [m,k] (or [k,m] when transA) with
    /// row stride lda; B is [k,n] (or [n,k] when transB) with row stride ldb; C is [m,n] with row stride ldc.</summary>
    public static void Multiply(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc,
        bool accumulate = false, bool parallel = true, GemmPath path = GemmPath.Auto, float alpha = 1f, Triangle triangle = Triangle.Full)
    {
        if (m == 0 || n == 0) return;
        CheckExtent(a.Length, transA ? k : m, transA ? m : k, lda, "A");
        CheckExtent(b.Length, transB ? n : k, transB ? k : n, ldb, "B");
        CheckExtent(c.Length, m, n, ldc, "C");
        fixed (float* pa = a, pb = b, pc = c)
            MultiplyUnchecked(transA, transB, m, n, k, pa, lda, pb, ldb, pc, ldc, accumulate, parallel, Resolve(path), alpha, triangle);
    }

    /// <summary>C[n,n] (+)= α·XᵀX on one triangle (upper by default), X [k, n] with row stride ldx: a Gram matrix such
    /// as GPTQ's Hessian 2/N·XᵀX over k calibration tokens. Only the triangle's half of the work is done.</summary>
    public static void SymmetricRankK(int n, int k, ReadOnlySpan<float> x, int ldx, Span<float> c, int ldc, float alpha = 1f,
        bool accumulate = false, Triangle triangle = Triangle.Upper, GemmPath path = GemmPath.Auto) =>
        Multiply(true, false, n, n, k, x, ldx, x, ldx, c, ldc, accumulate, parallel: true, path, alpha, triangle);

    /// <summary>y[m,n] = x[m,k] · W[n,k]ᵀ — a linear layer's forward.</summary>
    public static void NT(int m, int n, int k, ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> y, bool accumulate = false) =>
        Multiply(false, true, m, n, k, x, k, w, k, y, n, accumulate);

    /// <summary>dx[m,k] = dy[m,n] · W[n,k] — a linear layer's input gradient.</summary>
    public static void NN(int m, int n, int k, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, bool accumulate = false) =>
        Multiply(false, false, m, n, k, a, k, b, n, c, n, accumulate);

    /// <summary>dW[m,n] (+)= dy[k,m]ᵀ · x[k,n] — a linear layer's weight gradient, summed over k tokens.</summary>
    public static void TN(int m, int n, int k, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, bool accumulate = false) =>
        Multiply(true, false, m, n, k, a, m, b, n, c, n, accumulate);

    /// <summary>The scalar reference every path is tested against: plain triple loop, f64 accumulation.</summary>
    public static void Reference(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, bool accumulate = false,
        float alpha = 1f, Triangle triangle = Triangle.Full)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                if (!InTriangle(triangle, j - i)) continue;
                double s = 0;
                for (int p = 0; p < k; p++)
                    s += (double)(transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]);
                c[i * ldc + j] = (float)((accumulate ? c[i * ldc + j] : 0) + alpha * s);
            }
    }

    /// <summary>Whether element (i, j) with j − i = <paramref name="diag"/> lies in the triangle.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static bool InTriangle(Triangle t, int diag) => t switch { Triangle.Upper => diag >= 0, Triangle.Lower => diag <= 0, _ => true };

    static void CheckExtent(int length, int rows, int cols, int ld, string name)
    {
        if (rows == 0 || cols == 0) return;
        if (ld < cols || (long)(rows - 1) * ld + cols > length)
            throw new ArgumentException($"GEMM operand {name}: [{rows},{cols}] with stride {ld} exceeds its {length} elements");
    }

    internal static void MultiplyUnchecked(bool transA, bool transB, int m, int n, int k,
        float* a, int lda, float* b, int ldb, float* c, int ldc, bool accumulate, bool parallel, GemmPath path,
        float alpha = 1f, Triangle tri = Triangle.Full)
    {
        if (k == 0)
        {
            if (!accumulate)
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++)
                        if (InTriangle(tri, j - i)) c[(long)i * ldc + j] = 0;
            return;
        }
        var store = new Store(alpha, tri);
        int nr = path == GemmPath.Vector512 ? 32 : 16;
        int threads = KernelThreads.Count, panels = (m + MR - 1) / MR;
        if (parallel && threads > 1 && panels >= 4 * threads)
        {
            // Enough rows for every thread to own several panels: each thread runs the whole (n, k) loop over its own
            // rows and packs B itself. That costs one B packing per thread instead of one shared, but no barrier per
            // (k, n) block and no serial packing between them, which for a weight gradient (TN: m, n = a layer's
            // features, k = thousands of tokens, 24 blocks of k) was a third of the time: with the vectorised
            // transposed packing below, [128, 128] × 6144 tokens went from 118 to 178 GFLOP/s on 2 threads (forward
            // NT: 183). Each element still sums k in the same blocked order, so the result is bit-identical.
            // Tall products (a Hessian's 2048 rows) split into up to 4 shares per thread, each of at least MC rows, claimed
            // dynamically: on a shared machine a preempted thread then holds up a quarter of its rows, not all of them
            // (two static halves ran the Hessian's XᵀX at a third of the speed under load); a share's own B packing
            // is under 1/MC of its multiply-adds.
            int shares = threads * Math.Clamp(m / (threads * MC), 1, 8);
            nint A = (nint)a, B = (nint)b, C = (nint)c;
            KernelThreads.For(shares, 1, (t0, t1) =>
            {
                for (int t = t0; t < t1; t++)
                {
                    int s = SplitRow(m, n, tri, panels, t, shares), e = SplitRow(m, n, tri, panels, t + 1, shares);
                    if (s < e) Blocks(transA, transB, s, e, n, k, (float*)A, lda, (float*)B, ldb, (float*)C, ldc, accumulate, nr, path, store);
                }
            }, workPerItem: (long)m * n * k);
            return;
        }
        // Few rows: one B packing per block, shared, the threads splitting the block's rows.
        Blocks(transA, transB, 0, m, n, k, a, lda, b, ldb, c, ldc, accumulate, nr, path, store, shareB: parallel);
    }

    /// <summary>The first row of share t (whole panels of MR rows): equal shares of the written elements, so a
    /// triangle's long rows and short rows balance.</summary>
    static int SplitRow(int m, int n, Triangle tri, int panels, int t, int threads)
    {
        if (t >= threads) return m;
        if (tri == Triangle.Full) return Math.Min(m, (int)((long)panels * t / threads) * MR);
        // Elements a panel writes: upper rows i hold n − i columns, lower rows min(n, i + 1).
        long Work(int p)
        {
            long w = 0;
            for (int i = p * MR; i < Math.Min(m, (p + 1) * MR); i++) w += tri == Triangle.Upper ? Math.Max(0, n - i) : Math.Min(n, i + 1);
            return w;
        }
        long total = 0;
        for (int p = 0; p < panels; p++) total += Work(p);
        long target = total * t / threads, sum = 0;
        int q = 0;
        while (q < panels && sum + Work(q) / 2 < target) sum += Work(q++);
        return Math.Min(m, q * MR);
    }

    /// <summary>How a micro-tile's sums reach C: scaled by α, and only the triangle's elements.</summary>
    readonly record struct Store(float Alpha, Triangle Triangle);

    /// <summary>Rows [s, e) of C over all (n, k) blocks, packing each block of B once: on this thread, or, with
    /// <paramref name="shareB"/>, shared by the threads, which split the block's rows between them.</summary>
    static void Blocks(bool transA, bool transB, int s, int e, int n, int k, float* a, int lda, float* b, int ldb,
        float* c, int ldc, bool accumulate, int nr, GemmPath path, Store store, bool shareB = false)
    {
        // Columns a triangle leaves out for all of rows [s, e) are neither packed nor visited.
        int jStart = store.Triangle == Triangle.Upper ? Math.Min(s, n) : 0, jEnd = store.Triangle == Triangle.Lower ? Math.Min(n, e) : n;
        var bPackArr = ArrayPool<float>.Shared.Rent(KC * Math.Min(NC, RoundUp(n, nr)) + 16);
        try
        {
            fixed (float* bPack0 = bPackArr)
            {
                float* bPack = Align64(bPack0);
                for (int jc = jStart; jc < jEnd; jc += NC)
                {
                    int nc = Math.Min(NC, jEnd - jc);
                    for (int pc = 0; pc < k; pc += KC)
                    {
                        int kc = Math.Min(KC, k - pc);
                        bool acc = accumulate || pc > 0;
                        PackB(transB, b, ldb, pc, kc, jc, nc, bPack, nr);
                        if (!shareB)
                        {
                            RowRange(transA, a, lda, s, e, pc, kc, bPack, jc, nc, nr, c, ldc, acc, path, store);
                            continue;
                        }
                        nint A = (nint)a, B = (nint)bPack, C = (nint)c;
                        int jcc = jc;
                        KernelThreads.For(e - s, MR, (r0, r1) => RowRange(transA, (float*)A, lda, s + r0, s + r1, pc, kc, (float*)B, jcc, nc, nr,
                            (float*)C, ldc, acc, path, store), (long)nc * kc);
                    }
                }
            }
        }
        finally { ArrayPool<float>.Shared.Return(bPackArr); }
    }

    /// <summary>The width of a packed B panel the micro-kernel of <paramref name="path"/> reads.</summary>
    public static int PanelWidth(GemmPath path) => Resolve(path) == GemmPath.Vector512 ? 32 : 16;

    /// <summary>
    /// C[m, n] = A[m, k]·Wᵀ for a weight W [n, k] stored in a format of its own: <paramref name="w"/> fills packed B blocks
    /// straight from that storage (widening as it goes), so no f32 copy of W exists. Threads split n and each packs its
    /// own blocks, since here B (the weight) is the large operand and A (a batch of tokens) the small one.
    /// </summary>
    public static void MultiplyNT(int m, int n, int k, float* a, int lda, IPanelSource w, float* c, int ldc, GemmPath path = GemmPath.Auto)
    {
        if (m == 0 || n == 0) return;
        path = Resolve(path);
        int nr = PanelWidth(path);
        nint A = (nint)a, C = (nint)c;
        KernelThreads.For(n, nr, (j0, j1) =>
        {
            var bPackArr = ArrayPool<float>.Shared.Rent(KC * NC + 16);
            try
            {
                fixed (float* bPack0 = bPackArr)
                {
                    float* bPack = Align64(bPack0);
                    for (int jc = j0; jc < j1; jc += NC)
                    {
                        int nc = Math.Min(NC, j1 - jc);
                        for (int pc = 0; pc < k; pc += KC)
                        {
                            int kc = Math.Min(KC, k - pc);
                            w.Pack(pc, kc, jc, nc, bPack, nr);
                            RowRange(false, (float*)A, lda, 0, m, pc, kc, bPack, jc, nc, nr, (float*)C, ldc, pc > 0, path, new Store(1f, Triangle.Full));
                        }
                    }
                }
            }
            finally { ArrayPool<float>.Shared.Return(bPackArr); }
        }, workPerItem: (long)m * k);
    }

    /// <summary>For panel packers: rows a0..a3 of 8 floats become 8 groups of 4 (a0[j], a1[j], a2[j], a3[j]) stored at d + j·stride.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Transpose4x8(Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> a3, float* d, long stride)
    {
        if (System.Runtime.Intrinsics.X86.Avx.IsSupported)
        {
            var t0 = System.Runtime.Intrinsics.X86.Avx.UnpackLow(a0, a1); var t1 = System.Runtime.Intrinsics.X86.Avx.UnpackHigh(a0, a1);
            var t2 = System.Runtime.Intrinsics.X86.Avx.UnpackLow(a2, a3); var t3 = System.Runtime.Intrinsics.X86.Avx.UnpackHigh(a2, a3);
            var o0 = System.Runtime.Intrinsics.X86.Avx.Shuffle(t0, t2, 0x44); var o1 = System.Runtime.Intrinsics.X86.Avx.Shuffle(t0, t2, 0xEE);
            var o2 = System.Runtime.Intrinsics.X86.Avx.Shuffle(t1, t3, 0x44); var o3 = System.Runtime.Intrinsics.X86.Avx.Shuffle(t1, t3, 0xEE);
            o0.GetLower().Store(d); o1.GetLower().Store(d + stride); o2.GetLower().Store(d + 2 * stride); o3.GetLower().Store(d + 3 * stride);
            o0.GetUpper().Store(d + 4 * stride); o1.GetUpper().Store(d + 5 * stride); o2.GetUpper().Store(d + 6 * stride); o3.GetUpper().Store(d + 7 * stride);
            return;
        }
        for (int j = 0; j < 8; j++) Vector128.Create(a0[j], a1[j], a2[j], a3[j]).Store(d + j * stride);
    }

    static int RoundUp(int x, int r) => (x + r - 1) / r * r;

    static float* Align64(float* p) => (float*)(((nint)p + 63) & ~(nint)63);

    /// <summary>Rows [s, e) of C times the packed B block of columns [jc, jc + nc), over one k-block.</summary>
    static void RowRange(bool transA, float* a, int lda, int s, int e, int pc, int kc, float* bPack, int jc, int nc, int nr,
        float* c, int ldc, bool acc, GemmPath path, Store store)
    {
        var aPackArr = ArrayPool<float>.Shared.Rent(MC * KC + 32); // 16 for alignment, 2 for the transposed packing's overrun
        try
        {
            fixed (float* aPack0 = aPackArr)
            {
                float* aPack = Align64(aPack0);
                float* tile = stackalloc float[MR * 32];
                for (int ic = s; ic < e; ic += MC)
                {
                    int mc = Math.Min(MC, e - ic);
                    PackA(transA, a, lda, ic, mc, pc, kc, aPack);
                    for (int jr = 0; jr < nc; jr += nr)
                    {
                        int nrr = Math.Min(nr, nc - jr);
                        float* bp = bPack + (long)jr * kc;
                        for (int ir = 0; ir < mc; ir += MR)
                        {
                            int mrr = Math.Min(MR, mc - ir);
                            // The tile's offset from the diagonal: element (r, q) lies at j − i = diag + q − r.
                            int diag = jc + jr - (ic + ir);
                            var tri = store.Triangle;
                            if (tri == Triangle.Upper && diag + nrr - 1 < 0) continue;  // wholly below the diagonal
                            if (tri == Triangle.Lower && diag - (mrr - 1) > 0) continue; // wholly above it
                            var ts = store;
                            if ((tri == Triangle.Upper && diag - (mrr - 1) >= 0) || (tri == Triangle.Lower && diag + nrr - 1 <= 0))
                                ts = store with { Triangle = Triangle.Full };             // wholly inside: store unmasked
                            float* ap = aPack + (long)ir * kc;
                            float* cp = c + (long)(ic + ir) * ldc + jc + jr;
                            switch (path)
                            {
                                case GemmPath.Vector512: Kernel512(kc, ap, bp, cp, ldc, mrr, nrr, acc, tile, ts, diag); break;
                                case GemmPath.Vector256: Kernel256(kc, ap, bp, cp, ldc, mrr, nrr, acc, tile, ts, diag); break;
                                default: KernelScalar(kc, ap, bp, cp, ldc, mrr, nrr, acc, nr, ts, diag); break;
                            }
                        }
                    }
                }
            }
        }
        finally { ArrayPool<float>.Shared.Return(aPackArr); }
    }

    // aPack: panels of MR rows, each [kc, MR] k-major, zero-padded past the last row.
    static void PackA(bool transA, float* a, int lda, int i0, int mc, int p0, int kc, float* dst)
    {
        for (int ir = 0; ir < mc; ir += MR)
        {
            int rows = Math.Min(MR, mc - ir);
            float* d = dst + (long)ir * kc;
            if (transA)
            {
                // A whole panel's 6 floats as one 8-float copy (the 2 extra land where the next k's 6 go, or in the
                // buffer's slack after the last): the weight gradient's A is stored [k, m] and this is its packing.
                if (rows == MR && i0 + ir + 8 <= lda && Vector256.IsHardwareAccelerated)
                    for (int p = 0; p < kc; p++) Vector256.Load(a + (long)(p0 + p) * lda + i0 + ir).Store(d + p * MR);
                else
                    for (int p = 0; p < kc; p++)
                    {
                        float* src = a + (long)(p0 + p) * lda + i0 + ir;
                        int r = 0;
                        for (; r < rows; r++) d[p * MR + r] = src[r];
                        for (; r < MR; r++) d[p * MR + r] = 0;
                    }
            }
            else
            {
                for (int r = 0; r < MR; r++)
                {
                    if (r < rows)
                    {
                        float* src = a + (long)(i0 + ir + r) * lda + p0;
                        for (int p = 0; p < kc; p++) d[p * MR + r] = src[p];
                    }
                    else for (int p = 0; p < kc; p++) d[p * MR + r] = 0;
                }
            }
        }
    }

    // bPack: panels of nr columns, each [kc, nr] k-major, zero-padded past the last column.
    static void PackB(bool transB, float* b, int ldb, int p0, int kc, int j0, int nc, float* dst, int nr)
    {
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            float* d = dst + (long)jr * kc;
            if (!transB)
            {
                for (int p = 0; p < kc; p++)
                {
                    float* src = b + (long)(p0 + p) * ldb + j0 + jr;
                    float* dp = d + p * nr;
                    if (cols == nr) new ReadOnlySpan<float>(src, nr).CopyTo(new Span<float>(dp, nr));
                    else
                    {
                        for (int j = 0; j < cols; j++) dp[j] = src[j];
                        for (int j = cols; j < nr; j++) dp[j] = 0;
                    }
                }
            }
            else
            {
                for (int j = 0; j < nr; j++)
                {
                    if (j < cols)
                    {
                        float* src = b + (long)(j0 + jr + j) * ldb + p0;
                        for (int p = 0; p < kc; p++) d[p * nr + j] = src[p];
                    }
                    else for (int p = 0; p < kc; p++) d[p * nr + j] = 0;
                }
            }
        }
    }

    static void KernelScalar(int kc, float* ap, float* bp, float* c, int ldc, int mr, int nrr, bool acc, int nr, Store store, int diag)
    {
        for (int r = 0; r < mr; r++)
            for (int j = 0; j < nrr; j++)
            {
                if (!InTriangle(store.Triangle, diag + j - r)) continue;
                float s = 0;
                for (int p = 0; p < kc; p++) s += ap[p * MR + r] * bp[p * nr + j];
                StoreOne(c + (long)r * ldc + j, s, acc, store.Alpha);
            }
    }

    /// <summary>c ← c + α·s (one rounding, so α = 1 is exactly c + s) or α·s.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void StoreOne(float* c, float s, bool acc, float alpha) =>
        *c = alpha == 1f ? (acc ? *c + s : s) : (acc ? MathF.FusedMultiplyAdd(alpha, s, *c) : alpha * s);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Kernel256(int kc, float* ap, float* bp, float* c, int ldc, int mr, int nrr, bool acc, float* tile, Store store, int diag)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
            c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(bp);
            var b1 = Vector256.Load(bp + 8);
            var a = Vector256.Create(ap[0]);
            c00 = Vector256.MultiplyAddEstimate(a, b0, c00); c01 = Vector256.MultiplyAddEstimate(a, b1, c01);
            a = Vector256.Create(ap[1]);
            c10 = Vector256.MultiplyAddEstimate(a, b0, c10); c11 = Vector256.MultiplyAddEstimate(a, b1, c11);
            a = Vector256.Create(ap[2]);
            c20 = Vector256.MultiplyAddEstimate(a, b0, c20); c21 = Vector256.MultiplyAddEstimate(a, b1, c21);
            a = Vector256.Create(ap[3]);
            c30 = Vector256.MultiplyAddEstimate(a, b0, c30); c31 = Vector256.MultiplyAddEstimate(a, b1, c31);
            a = Vector256.Create(ap[4]);
            c40 = Vector256.MultiplyAddEstimate(a, b0, c40); c41 = Vector256.MultiplyAddEstimate(a, b1, c41);
            a = Vector256.Create(ap[5]);
            c50 = Vector256.MultiplyAddEstimate(a, b0, c50); c51 = Vector256.MultiplyAddEstimate(a, b1, c51);
            ap += MR;
            bp += 16;
        }
        if (mr == MR && nrr == 16 && store.Triangle == Triangle.Full)
        {
            float al = store.Alpha;
            Store256(c, c00, c01, acc, al); Store256(c + ldc, c10, c11, acc, al); Store256(c + 2 * ldc, c20, c21, acc, al);
            Store256(c + 3 * ldc, c30, c31, acc, al); Store256(c + 4 * ldc, c40, c41, acc, al); Store256(c + 5 * ldc, c50, c51, acc, al);
            return;
        }
        c00.Store(tile); c01.Store(tile + 8); c10.Store(tile + 16); c11.Store(tile + 24); c20.Store(tile + 32); c21.Store(tile + 40);
        c30.Store(tile + 48); c31.Store(tile + 56); c40.Store(tile + 64); c41.Store(tile + 72); c50.Store(tile + 80); c51.Store(tile + 88);
        StoreTile(tile, 16, c, ldc, mr, nrr, acc, store, diag);
    }

    // Inlined: a call that takes the accumulators as arguments made the JIT keep all twelve on the stack through the k loop.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store256(float* c, Vector256<float> lo, Vector256<float> hi, bool acc, float alpha)
    {
        if (alpha != 1f)
        {
            var a = Vector256.Create(alpha);
            if (acc) { lo = Vector256.FusedMultiplyAdd(a, lo, Vector256.Load(c)); hi = Vector256.FusedMultiplyAdd(a, hi, Vector256.Load(c + 8)); }
            else { lo *= a; hi *= a; }
        }
        else if (acc) { lo += Vector256.Load(c); hi += Vector256.Load(c + 8); }
        lo.Store(c);
        hi.Store(c + 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Kernel512(int kc, float* ap, float* bp, float* c, int ldc, int mr, int nrr, bool acc, float* tile, Store store, int diag)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
            c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(bp);
            var b1 = Vector512.Load(bp + 16);
            var a = Vector512.Create(ap[0]);
            c00 = Vector512.MultiplyAddEstimate(a, b0, c00); c01 = Vector512.MultiplyAddEstimate(a, b1, c01);
            a = Vector512.Create(ap[1]);
            c10 = Vector512.MultiplyAddEstimate(a, b0, c10); c11 = Vector512.MultiplyAddEstimate(a, b1, c11);
            a = Vector512.Create(ap[2]);
            c20 = Vector512.MultiplyAddEstimate(a, b0, c20); c21 = Vector512.MultiplyAddEstimate(a, b1, c21);
            a = Vector512.Create(ap[3]);
            c30 = Vector512.MultiplyAddEstimate(a, b0, c30); c31 = Vector512.MultiplyAddEstimate(a, b1, c31);
            a = Vector512.Create(ap[4]);
            c40 = Vector512.MultiplyAddEstimate(a, b0, c40); c41 = Vector512.MultiplyAddEstimate(a, b1, c41);
            a = Vector512.Create(ap[5]);
            c50 = Vector512.MultiplyAddEstimate(a, b0, c50); c51 = Vector512.MultiplyAddEstimate(a, b1, c51);
            ap += MR;
            bp += 32;
        }
        if (mr == MR && nrr == 32 && store.Triangle == Triangle.Full)
        {
            float al = store.Alpha;
            Store512(c, c00, c01, acc, al); Store512(c + ldc, c10, c11, acc, al); Store512(c + 2 * ldc, c20, c21, acc, al);
            Store512(c + 3 * ldc, c30, c31, acc, al); Store512(c + 4 * ldc, c40, c41, acc, al); Store512(c + 5 * ldc, c50, c51, acc, al);
            return;
        }
        c00.Store(tile); c01.Store(tile + 16); c10.Store(tile + 32); c11.Store(tile + 48); c20.Store(tile + 64); c21.Store(tile + 80);
        c30.Store(tile + 96); c31.Store(tile + 112); c40.Store(tile + 128); c41.Store(tile + 144); c50.Store(tile + 160); c51.Store(tile + 176);
        StoreTile(tile, 32, c, ldc, mr, nrr, acc, store, diag);
    }

    // Inlined, as Store256.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store512(float* c, Vector512<float> lo, Vector512<float> hi, bool acc, float alpha)
    {
        if (alpha != 1f)
        {
            var a = Vector512.Create(alpha);
            if (acc) { lo = Vector512.FusedMultiplyAdd(a, lo, Vector512.Load(c)); hi = Vector512.FusedMultiplyAdd(a, hi, Vector512.Load(c + 16)); }
            else { lo *= a; hi *= a; }
        }
        else if (acc) { lo += Vector512.Load(c); hi += Vector512.Load(c + 16); }
        lo.Store(c);
        hi.Store(c + 16);
    }

    static void StoreTile(float* tile, int nr, float* c, int ldc, int mr, int nrr, bool acc, Store store, int diag)
    {
        for (int r = 0; r < mr; r++)
            for (int j = 0; j < nrr; j++)
                if (InTriangle(store.Triangle, diag + j - r)) StoreOne(c + (long)r * ldc + j, tile[r * nr + j], acc, store.Alpha);
    }
}
