using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace QuantReason.Kernels;

/// <summary>
/// y = x·Wᵀ for group-quantized weights, fused: y[o] = Σ_g s[o,g]·(Σ_{k∈g} x[k]·q[o,k] − z[o,g]·Σ_{k∈g} x[k]), so no f32
/// weight matrix is ever formed. AVX2+FMA path over four rows at a time (four independent FMA chains sharing each x
/// load), a portable scalar path of the same shape, and <see cref="Reference"/> (f64, straight from the definition).
/// </summary>
public static unsafe class GemvQxF32
{
    public static bool SimdAvailable => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>Σ x over each group: the zero-point term's shared factor.</summary>
    public static void GroupSums(ReadOnlySpan<float> x /* [in] */, int groupLength, Span<float> sums /* [groups] */)
    {
        for (int g = 0; g < sums.Length; g++)
            sums[g] = System.Numerics.Tensors.TensorPrimitives.Sum(x.Slice(g * groupLength, groupLength));
    }

    /// <summary>The definition in f64: y[o] = Σ_k x[k]·s·(q − z). The reference the fast paths are tested against.</summary>
    public static void Reference(in PackedRows w, ReadOnlySpan<float> x, Span<float> y)
    {
        for (int o = 0; o < w.Out; o++)
        {
            double acc = 0;
            for (int k = 0; k < w.In; k++)
            {
                int g = k / w.GroupLength;
                acc += (double)x[k] * (w.Scale(o, g) * (w.Code(o, k) - w.Zero(o, g)));
            }
            y[o] = (float)acc;
        }
    }

    /// <summary>Multi-threaded GEMV over all rows; picks the SIMD path when the CPU has it (the 512-bit block kernel
    /// where Vector512 is accelerated and <paramref name="allow512"/>).</summary>
    public static void Run(PackedRows w, ReadOnlySpan<float> x, Span<float> y, bool allowSimd = true, bool allow512 = true)
    {
        var xs = ArrayPool<float>.Shared.Rent(w.Groups); // [groups] Σx per group
        GroupSums(x, w.GroupLength, xs.AsSpan(0, w.Groups));
        bool simd = allowSimd && SimdAvailable;
        bool block = simd && UsesBlockKernel(w);
        bool wide = block && allow512 && UsesBlockKernel512(w);
        var xscaled = block ? ArrayPool<float>.Shared.Rent(w.In) : null; // [in] prescaled, block-paired for the wide kernel
        if (block) ArrangeX(x, w.Bits, wide, xscaled);
        fixed (float* px = x, py = y, pxs = xs, pxp = xscaled)
        {
            float* xp = px, yp = py, xsp = pxs, xpre = pxp;
            KernelThreads.For(w.Out, 4, (r0, r1) =>
            {
                if (wide) RowsBlockAvx512(w, xp, xpre, xsp, yp, r0, r1);
                else if (block) RowsBlockAvx2(w, xp, xpre, xsp, yp, r0, r1);
                else if (simd) RowsAvx2(w, xp, xsp, yp, r0, r1);
                else RowsPortable(w, xp, xsp, yp, r0, r1);
            }, w.In);
        }
        ArrayPool<float>.Shared.Return(xs);
        if (xscaled is not null) ArrayPool<float>.Shared.Return(xscaled);
    }

    /// <summary>How far ahead of the four-row kernels' stream the next tiles are fetched into L2 (6 KB). On the Zen 4
    /// VM the hardware prefetcher alone let the 4-bit kernel pull ≈19 GB/s from DRAM on 2 threads; prefetching into L2
    /// 1.5/3/4/6/8/16 KB ahead gave 21/32/34/35/35/35 GB/s, while prefetching into L1 peaked at 24.</summary>
    internal const int PrefetchWords = 1536;

    /// <summary>The four cache lines of one 256-byte tile chunk, into L2 (a hint: no fault past the end).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Prefetch(uint* p)
    {
        if (!Sse.IsSupported) return;
        Sse.Prefetch1(p); Sse.Prefetch1(p + 16); Sse.Prefetch1(p + 32); Sse.Prefetch1(p + 48);
    }

    /// <summary>The 512-bit block kernel reads two packed blocks (16 words) per load, so a group must hold an even number
    /// of blocks: 4-bit g128, 8-bit per channel or g64+, 2-bit g256+.</summary>
    public static bool UsesBlockKernel512(in PackedRows w) =>
        Vector512.IsHardwareAccelerated && UsesBlockKernel(w) && w.GroupLength % (16 * (32 / w.Bits)) == 0;

    /// <summary>
    /// Reorders prescaled x for the 512-bit kernel, in place: in each pair of blocks, field n's 16 lanes are the 8 columns
    /// of field n in the first block followed by those in the second (what one 16-word load of the packed codes holds).
    /// </summary>
    public static void PairBlocks(Span<float> x, int length, int bits)
    {
        int block = 8 * (32 / bits), pair = 2 * block;
        Span<float> tmp = stackalloc float[pair];
        for (int p0 = 0; p0 + pair <= length; p0 += pair)
        {
            var src = x.Slice(p0, pair);
            for (int n = 0; n < block / 8; n++)
            {
                src.Slice(n * 8, 8).CopyTo(tmp.Slice(n * 16, 8));
                src.Slice(block + n * 8, 8).CopyTo(tmp.Slice(n * 16 + 8, 8));
            }
            tmp.CopyTo(src);
        }
    }

    /// <summary>
    /// <see cref="PrescaleX"/> and, for the 512-bit kernel, <see cref="PairBlocks"/> in one vectorised pass (those two
    /// are its scalar definition): per call this is all the activation work, and done element by element it cost ≈6 % of
    /// a 2048×8192 4-bit GEMV.
    /// </summary>
    public static void ArrangeX(ReadOnlySpan<float> x, int bits, bool paired, Span<float> dst /* [x.Length] */)
    {
        int cpw = 32 / bits, block = 8 * cpw, span = paired ? 2 * block : block, n = x.Length;
        Span<float> factor = stackalloc float[cpw]; // 2^(−b·n) as an exact f32 power of two, 1 for the top field
        for (int f = 0; f < cpw; f++) factor[f] = f == cpw - 1 ? 1f : BitConverter.Int32BitsToSingle((127 - bits * f) << 23);
        int k0 = 0;
        if (Vector256.IsHardwareAccelerated && dst.Length >= n)
            fixed (float* px = x, pd = dst)
                for (; k0 + span <= n; k0 += span)
                    for (int f = 0; f < cpw; f++)
                    {
                        var fv = Vector256.Create(factor[f]);
                        if (paired)
                        {
                            (Vector256.Load(px + k0 + f * 8) * fv).Store(pd + k0 + f * 16);
                            (Vector256.Load(px + k0 + block + f * 8) * fv).Store(pd + k0 + f * 16 + 8);
                        }
                        else (Vector256.Load(px + k0 + f * 8) * fv).Store(pd + k0 + f * 8);
                    }
        // The rest (no whole span, or no SIMD): the scalar definition.
        PrescaleX(x.Slice(k0), bits, dst.Slice(k0, n - k0));
        if (paired) PairBlocks(dst.Slice(k0), n - k0, bits);
    }

    /// <summary>Per width, the mask of each field in place for 16 lanes: [field][16]; pinned, built once.</summary>
    static readonly uint[][] FieldMasks512 = BuildMasks(16);

    public static void RowsBlockAvx512(in PackedRows w, float* x, float* xpaired, float* xsum, float* y, int r0, int r1)
    {
        int o = r0;
        for (; o + 4 <= r1; o += 4) Rows4Block512(w, xpaired, xsum, y, o);
        if (o < r1) RowsPortable(w, x, xsum, y, o, r1);
    }

    /// <summary><see cref="Rows4Block"/> on 16 lanes: half the instructions per code, which is what bounds the 4-bit
    /// kernel (it runs at ≈14 G codes per core-second on 8 lanes, compute-bound, not memory-bound).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Rows4Block512(in PackedRows w, float* x /* prescaled, block-paired */, float* xsum, float* y, int o)
    {
        int bits = w.Bits, cpw = 32 / bits, pair = 16 * cpw;
        byte top = (byte)(bits * (cpw - 1));
        uint* masks = (uint*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(FieldMasks512[bits])); // [field][16], pinned
        uint* tile = w.LoWord(o, 0); // [WordsLo/16, 4, 16]: pair b of the four rows is the 256 bytes at b·64
        float* tmp = stackalloc float[8]; // a group's parameters converted from fp16
        var zt = Vector128<float>.Zero;  // Σ_g s·z·Σx of the four rows
        int groups = w.Groups, pairsPerGroup = w.GroupLength / pair;
        Vector512<float> t0 = default, t1 = default, t2 = default, t3 = default;
        int b = 0;
        for (int g = 0; g < groups; g++)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector512<float> e0 = default, e1 = default, e2 = default, e3 = default;
            for (int be = b + pairsPerGroup; b < be; b++)
            {
                uint* c = tile + (long)b * 64;
                Prefetch(c + PrefetchWords);
                var w0 = Vector512.Load(c); var w1 = Vector512.Load(c + 16);
                var w2 = Vector512.Load(c + 32); var w3 = Vector512.Load(c + 48);
                float* xb = x + (long)b * pair;
                int n = 0;
                for (; n + 2 < cpw; n += 2)
                {
                    var m = Vector512.Load(masks + n * 16);
                    var xv = Vector512.Load(xb + n * 16);
                    a0 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle((w0 & m).AsInt32()), xv, a0);
                    a1 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle((w1 & m).AsInt32()), xv, a1);
                    a2 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle((w2 & m).AsInt32()), xv, a2);
                    a3 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle((w3 & m).AsInt32()), xv, a3);
                    m = Vector512.Load(masks + n * 16 + 16);
                    xv = Vector512.Load(xb + n * 16 + 16);
                    e0 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle((w0 & m).AsInt32()), xv, e0);
                    e1 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle((w1 & m).AsInt32()), xv, e1);
                    e2 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle((w2 & m).AsInt32()), xv, e2);
                    e3 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle((w3 & m).AsInt32()), xv, e3);
                }
                {
                    var m = Vector512.Load(masks + n * 16);
                    var xv = Vector512.Load(xb + n * 16);
                    a0 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle((w0 & m).AsInt32()), xv, a0);
                    a1 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle((w1 & m).AsInt32()), xv, a1);
                    a2 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle((w2 & m).AsInt32()), xv, a2);
                    a3 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle((w3 & m).AsInt32()), xv, a3);
                    xv = Vector512.Load(xb + n * 16 + 16);
                    e0 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(Vector512.ShiftRightLogical(w0, top).AsInt32()), xv, e0);
                    e1 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(Vector512.ShiftRightLogical(w1, top).AsInt32()), xv, e1);
                    e2 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(Vector512.ShiftRightLogical(w2, top).AsInt32()), xv, e2);
                    e3 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(Vector512.ShiftRightLogical(w3, top).AsInt32()), xv, e3);
                }
            }
            float* pg = w.GroupParams(o, g, tmp); // [2, 4] scales, zeros
            zt = Vector128.FusedMultiplyAdd(Vector128.Load(pg) * Vector128.Load(pg + 4), Vector128.Create(xsum[g]), zt);
            t0 = Vector512.FusedMultiplyAdd(a0 + e0, Vector512.Create(pg[0]), t0);
            t1 = Vector512.FusedMultiplyAdd(a1 + e1, Vector512.Create(pg[1]), t1);
            t2 = Vector512.FusedMultiplyAdd(a2 + e2, Vector512.Create(pg[2]), t2);
            t3 = Vector512.FusedMultiplyAdd(a3 + e3, Vector512.Create(pg[3]), t3);
        }
        y[o] = Vector512.Sum(t0) - zt[0];
        y[o + 1] = Vector512.Sum(t1) - zt[1];
        y[o + 2] = Vector512.Sum(t2) - zt[2];
        y[o + 3] = Vector512.Sum(t3) - zt[3];
    }

    /// <summary>Portable fallback: the fused formula in scalar f32, group by group.</summary>
    public static void RowsPortable(in PackedRows w, float* x, float* xsum, float* y, int r0, int r1)
    {
        for (int o = r0; o < r1; o++)
        {
            float total = 0;
            for (int g = 0; g < w.Groups; g++)
            {
                float acc = 0;
                for (int k = g * w.GroupLength, e = k + w.GroupLength; k < e; k++) acc += x[k] * w.Code(o, k);
                total += w.Scale(o, g) * (acc - w.Zero(o, g) * xsum[g]);
            }
            y[o] = total;
        }
    }

    public static void RowsAvx2(in PackedRows w, float* x, float* xsum, float* y, int r0, int r1)
    {
        int o = r0;
        for (; o + 4 <= r1; o += 4) Rows4(w, x, xsum, y, o);
        if (o < r1) RowsPortable(w, x, xsum, y, o, r1);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Rows4(in PackedRows w, float* x, float* xsum, float* y, int o)
    {
        int lb = w.LoBits, cpwLog = lb switch { 1 => 5, 2 => 4, 4 => 3, _ => 2 };
        int cpwMask = (1 << cpwLog) - 1;
        bool three = w.Bits == 3;
        var mask = Vector256.Create((1u << lb) - 1);
        var one = Vector256.Create(1u);
        uint* tileLo = w.LoWord(o, 0), tileHi = three ? w.HiWord(o, 0) : null; // [words/16, 4, 16] each
        float* tmp = stackalloc float[8]; // a group's parameters converted from fp16
        var zt = Vector128<float>.Zero;  // Σ_g s·z·Σx of the four rows
        int groups = w.Groups, chunksPerGroup = w.GroupLength / 8;
        Vector256<float> t0 = default, t1 = default, t2 = default, t3 = default;
        int c = 0;
        for (int g = 0; g < groups; g++)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int ce = c + chunksPerGroup; c < ce; c++)
            {
                uint* l = tileLo + PackedRows.InTile((c >> cpwLog) * 8); // row i's 8 words at l + 16·i
                var cnt = Vector128.CreateScalar((uint)((c & cpwMask) * lb));
                var xv = Avx.LoadVector256(x + c * 8);
                Vector256<uint> q0 = Avx2.And(Avx2.ShiftRightLogical(Avx.LoadVector256(l), cnt), mask);
                Vector256<uint> q1 = Avx2.And(Avx2.ShiftRightLogical(Avx.LoadVector256(l + 16), cnt), mask);
                Vector256<uint> q2 = Avx2.And(Avx2.ShiftRightLogical(Avx.LoadVector256(l + 32), cnt), mask);
                Vector256<uint> q3 = Avx2.And(Avx2.ShiftRightLogical(Avx.LoadVector256(l + 48), cnt), mask);
                if (three)
                {
                    uint* h = tileHi + PackedRows.InTile((c >> 5) * 8);
                    var hc = Vector128.CreateScalar((uint)(c & 31));
                    q0 = Avx2.Or(q0, Avx2.ShiftLeftLogical(Avx2.And(Avx2.ShiftRightLogical(Avx.LoadVector256(h), hc), one), 2));
                    q1 = Avx2.Or(q1, Avx2.ShiftLeftLogical(Avx2.And(Avx2.ShiftRightLogical(Avx.LoadVector256(h + 16), hc), one), 2));
                    q2 = Avx2.Or(q2, Avx2.ShiftLeftLogical(Avx2.And(Avx2.ShiftRightLogical(Avx.LoadVector256(h + 32), hc), one), 2));
                    q3 = Avx2.Or(q3, Avx2.ShiftLeftLogical(Avx2.And(Avx2.ShiftRightLogical(Avx.LoadVector256(h + 48), hc), one), 2));
                }
                a0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(q0.AsInt32()), xv, a0);
                a1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(q1.AsInt32()), xv, a1);
                a2 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(q2.AsInt32()), xv, a2);
                a3 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(q3.AsInt32()), xv, a3);
            }
            float* pg = w.GroupParams(o, g, tmp); // [2, 4] scales, zeros
            zt = Vector128.FusedMultiplyAdd(Vector128.Load(pg) * Vector128.Load(pg + 4), Vector128.Create(xsum[g]), zt);
            t0 = Fma.MultiplyAdd(a0, Vector256.Create(pg[0]), t0);
            t1 = Fma.MultiplyAdd(a1, Vector256.Create(pg[1]), t1);
            t2 = Fma.MultiplyAdd(a2, Vector256.Create(pg[2]), t2);
            t3 = Fma.MultiplyAdd(a3, Vector256.Create(pg[3]), t3);
        }
        y[o] = Vector256.Sum(t0) - zt[0];
        y[o + 1] = Vector256.Sum(t1) - zt[1];
        y[o + 2] = Vector256.Sum(t2) - zt[2];
        y[o + 3] = Vector256.Sum(t3) - zt[3];
    }

    /// <summary>The block kernel needs whole packed blocks per group and a single plane (2, 4 or 8 bits).</summary>
    public static bool UsesBlockKernel(in PackedRows w) =>
        w.Bits != 3 && w.GroupLength % (8 * (32 / w.Bits)) == 0;

    /// <summary>
    /// x[k]·2^(−b·n) where n = (k mod block)/8 is the field of k's code inside its word (0 for the top field). The block
    /// kernel then masks a field in place (q·2^(b·n), exact in f32) instead of shifting it down, and the power of two
    /// cancels exactly in the product, so the sum is the same as with q·x. The top field is shifted instead, since in
    /// place it would set the int32 sign bit.
    /// </summary>
    public static float[] PrescaleX(ReadOnlySpan<float> x, int bits)
    {
        var r = new float[x.Length];
        PrescaleX(x, bits, r);
        return r;
    }

    public static void PrescaleX(ReadOnlySpan<float> x, int bits, Span<float> r)
    {
        int cpw = 32 / bits, block = 8 * cpw;
        Span<float> factor = stackalloc float[cpw]; // 2^(−b·n) as an exact f32 power of two
        for (int n = 0; n < cpw; n++) factor[n] = n == cpw - 1 ? 1f : BitConverter.Int32BitsToSingle((127 - bits * n) << 23);
        for (int k0 = 0; k0 < x.Length; k0 += 8)
        {
            float f = factor[k0 % block / 8];
            int k1 = Math.Min(k0 + 8, x.Length);
            for (int k = k0; k < k1; k++) r[k] = x[k] * f;
        }
    }

    /// <summary>Per width, the mask of each field in place: [field][8 lanes]; pinned, built once.</summary>
    static readonly uint[][] FieldMasks = BuildMasks(8);

    static uint[][] BuildMasks(int lanes)
    {
        var m = new uint[9][];
        foreach (var bits in new[] { 1, 2, 4, 8 })
        {
            int cpw = 32 / bits;
            m[bits] = GC.AllocateArray<uint>(lanes * cpw, pinned: true);
            for (int n = 0; n < cpw; n++)
                for (int j = 0; j < lanes; j++) m[bits][n * lanes + j] = ((1u << bits) - 1) << (bits * n);
        }
        return m;
    }

    public static void RowsBlockAvx2(in PackedRows w, float* x, float* xpre, float* xsum, float* y, int r0, int r1)
    {
        int o = r0;
        for (; o + 4 <= r1; o += 4) Rows4Block(w, xpre, xsum, y, o);
        if (o < r1) RowsPortable(w, x, xsum, y, o, r1);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Rows4Block(in PackedRows w, float* x /* prescaled */, float* xsum, float* y, int o)
    {
        int bits = w.Bits, cpw = 32 / bits, block = 8 * cpw;
        // the last field's shift depends on the width, so it goes in a register (vpsrld ymm, ymm, xmm), not an immediate
        var top = Vector128.CreateScalar((uint)(bits * (cpw - 1)));
        uint* masks = (uint*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(FieldMasks[bits])); // [field][8], pinned
        uint* tile = w.LoWord(o, 0); // [WordsLo/16, 4, 16]: block b of row i at (b/2)·64 + i·16 + (b mod 2)·8
        float* tmp = stackalloc float[8]; // a group's parameters converted from fp16
        var zt = Vector128<float>.Zero;  // Σ_g s·z·Σx of the four rows
        int groups = w.Groups, blocksPerGroup = w.GroupLength / block;
        Vector256<float> t0 = default, t1 = default, t2 = default, t3 = default;
        int b = 0;
        for (int g = 0; g < groups; g++)
        {
            // Two accumulators per row (even/odd fields) to cover the FMA latency.
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector256<float> e0 = default, e1 = default, e2 = default, e3 = default;
            for (int be = b + blocksPerGroup; b < be; b++)
            {
                uint* c = tile + (long)(b >> 1) * 64 + (b & 1) * 8;
                if ((b & 1) == 0) Prefetch(c + PrefetchWords);
                var w0 = Avx.LoadVector256(c); var w1 = Avx.LoadVector256(c + 16);
                var w2 = Avx.LoadVector256(c + 32); var w3 = Avx.LoadVector256(c + 48);
                float* xb = x + (long)b * block;
                int n = 0;
                for (; n + 2 < cpw; n += 2)
                {
                    var m = Avx.LoadVector256(masks + n * 8);
                    var xv = Avx.LoadVector256(xb + n * 8);
                    a0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.And(w0, m).AsInt32()), xv, a0);
                    a1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.And(w1, m).AsInt32()), xv, a1);
                    a2 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.And(w2, m).AsInt32()), xv, a2);
                    a3 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.And(w3, m).AsInt32()), xv, a3);
                    m = Avx.LoadVector256(masks + n * 8 + 8);
                    xv = Avx.LoadVector256(xb + n * 8 + 8);
                    e0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.And(w0, m).AsInt32()), xv, e0);
                    e1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.And(w1, m).AsInt32()), xv, e1);
                    e2 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.And(w2, m).AsInt32()), xv, e2);
                    e3 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.And(w3, m).AsInt32()), xv, e3);
                }
                // cpw is even (2, 4 or 8 fields... 16 for 2-bit): fields n = cpw−2 (masked) and cpw−1 (shifted) remain.
                {
                    var m = Avx.LoadVector256(masks + n * 8);
                    var xv = Avx.LoadVector256(xb + n * 8);
                    a0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.And(w0, m).AsInt32()), xv, a0);
                    a1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.And(w1, m).AsInt32()), xv, a1);
                    a2 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.And(w2, m).AsInt32()), xv, a2);
                    a3 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.And(w3, m).AsInt32()), xv, a3);
                    xv = Avx.LoadVector256(xb + n * 8 + 8);
                    e0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.ShiftRightLogical(w0, top).AsInt32()), xv, e0);
                    e1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.ShiftRightLogical(w1, top).AsInt32()), xv, e1);
                    e2 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.ShiftRightLogical(w2, top).AsInt32()), xv, e2);
                    e3 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.ShiftRightLogical(w3, top).AsInt32()), xv, e3);
                }
            }
            float* pg = w.GroupParams(o, g, tmp); // [2, 4] scales, zeros
            zt = Vector128.FusedMultiplyAdd(Vector128.Load(pg) * Vector128.Load(pg + 4), Vector128.Create(xsum[g]), zt);
            t0 = Fma.MultiplyAdd(Avx.Add(a0, e0), Vector256.Create(pg[0]), t0);
            t1 = Fma.MultiplyAdd(Avx.Add(a1, e1), Vector256.Create(pg[1]), t1);
            t2 = Fma.MultiplyAdd(Avx.Add(a2, e2), Vector256.Create(pg[2]), t2);
            t3 = Fma.MultiplyAdd(Avx.Add(a3, e3), Vector256.Create(pg[3]), t3);
        }
        y[o] = Vector256.Sum(t0) - zt[0];
        y[o + 1] = Vector256.Sum(t1) - zt[1];
        y[o + 2] = Vector256.Sum(t2) - zt[2];
        y[o + 3] = Vector256.Sum(t3) - zt[3];
    }

    /// <summary>One row dequantized into <paramref name="dst"/> [in]: ŵ = s·(q − z) exactly as the reference computes it.
    /// The GEMM path for several tokens dequantizes one row per thread at a time and reuses it across tokens.</summary>
    public static void DequantRow(in PackedRows w, int o, Span<float> dst)
    {
        for (int g = 0; g < w.Groups; g++)
        {
            float s = w.Scale(o, g), z = w.Zero(o, g);
            int k0 = g * w.GroupLength, k1 = k0 + w.GroupLength;
            for (int k = k0; k < k1; k++) dst[k] = s * (w.Code(o, k) - z);
        }
    }
}
