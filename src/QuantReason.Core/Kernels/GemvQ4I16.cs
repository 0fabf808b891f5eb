using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace QuantReason.Kernels;

/// <summary>
/// y = x·Wᵀ for 4-bit group codes (g128, or per channel over a multiple of 128 inputs) with x rounded to 16-bit integers per group:
/// x̂[k] = xscale_g·x̃[k], x̃ = round(x/xscale_g) ∈ [−32639, 32639], xscale_g = max_g|x| / 32639. Each x̃ is split into
/// two signed bytes (x̃ = 256·hi + lo) so the codes multiply with <c>vpmaddubsw</c> (64 unsigned-by-signed byte products
/// per instruction) and every group's Σ q·x̃ is an exact integer (exact in f32 too up to 4 chunks per group); then y[o] = Σ_g s·xscale_g·Σ q·x̃ − Σ_g s·z·Σx, the
/// zero-point term from the exact f32 group sums of x.
/// </summary>
/// <remarks>
/// Why: the f32 kernel (<see cref="GemvQxF32"/>: mask, convert, FMA per 16 codes) tops out near 15 GB/s of packed
/// weights per Zen 4 core, which on this VM is only half of what memory delivers when a buffer lands in its faster
/// placement (≈60 GB/s on 2 threads). This one does a 128-code chunk in half the instructions (≈1.45× from L2).
/// The cost is x's rounding: |y − y_f32| ≤ Σ_g s·(xscale_g/2)·Σ_k q[k] per row (<see cref="ErrorBound"/>), a relative
/// 1.5·10⁻⁵ of the row's largest activation times its codes at worst, typically far less.
/// Lane order: byte L = 4j + b of a 16-word chunk holds the codes of fields 2b (low nibble) and 2b + 1 (high nibble) of
/// word j, i.e. columns (j/8)·64 + 16b + j mod 8 and that + 8 (<see cref="EvenColumn"/>); x is arranged to match.
/// </remarks>
public static unsafe class GemvQ4I16
{
    const int Chunk = 128;          // codes per 16-word chunk of a row
    const int Bytes = 4 * 64;       // arranged x per chunk: hi even, hi odd, lo even, lo odd lanes
    public const int MaxInt = 32639; // 127·256 + 127: the largest |x̃| both signed bytes can hold

    public static bool IsSupported => Avx512BW.IsSupported && Avx512Vbmi.IsSupported;

    /// <summary>4-bit codes in groups of whole 128-code chunks (g128, or per channel), on a CPU with AVX-512 BW and VBMI.</summary>
    public static bool Supports(in PackedRows w) => IsSupported && w.Bits == 4 && w.GroupLength % Chunk == 0;

    /// <summary>Column (within its chunk) of even-field byte lane L; the odd field's is 8 further.</summary>
    public static int EvenColumn(int lane) => lane / 32 * 64 + lane % 4 * 16 + lane / 4 % 8;

    static readonly byte[] EvenIndex = BuildIndex(0), OddIndex = BuildIndex(8); // [64] vpermi2b selectors, pinned

    static byte[] BuildIndex(int add)
    {
        var idx = GC.AllocateArray<byte>(64, pinned: true);
        for (int l = 0; l < 64; l++) idx[l] = (byte)(EvenColumn(l) + add);
        return idx;
    }

    /// <summary>The per-group scale and the arranged bytes of x: the definition, element by element.</summary>
    public static void ArrangeReference(ReadOnlySpan<float> x, int groupLength, Span<float> xscale /* [groups] */, Span<sbyte> arranged /* [in/128, 256] */)
    {
        for (int g = 0; g < xscale.Length; g++)
        {
            var xg = x.Slice(g * groupLength, groupLength);
            float max = 0;
            foreach (var v in xg) max = Math.Max(max, Math.Abs(v));
            xscale[g] = max / MaxInt;
            float inv = max == 0 ? 0 : MaxInt / max;
            for (int c0 = 0; c0 < groupLength; c0 += Chunk)
            {
                var dst = arranged.Slice((g * groupLength + c0) / Chunk * Bytes, Bytes);
                for (int l = 0; l < 64; l++)
                    for (int odd = 0; odd < 2; odd++)
                    {
                        int q = (int)MathF.Round(xg[c0 + EvenColumn(l) + 8 * odd] * inv);
                        sbyte lo = (sbyte)q;
                        dst[odd * 64 + l] = (sbyte)((q - lo) >> 8);
                        dst[128 + odd * 64 + l] = lo;
                    }
            }
        }
    }

    /// <summary><see cref="ArrangeReference"/> vectorised: 8 conversions, 16 narrowings and 4 two-source byte
    /// permutations per chunk.</summary>
    public static void Arrange(ReadOnlySpan<float> x, int groupLength, Span<float> xscale, Span<sbyte> arranged)
    {
        var nat = stackalloc sbyte[2 * Chunk]; // [hi 128 | lo 128] in column order
        var ie = Vector512.Create(EvenIndex).AsSByte();
        var io = Vector512.Create(OddIndex).AsSByte();
        fixed (float* px = x)
        fixed (sbyte* pa = arranged)
            for (int g = 0; g < xscale.Length; g++)
            {
                float* xg = px + (long)g * groupLength;
                var m = Vector512<float>.Zero;
                for (int k = 0; k < groupLength; k += 16) m = Vector512.Max(m, Vector512.Abs(Vector512.Load(xg + k)));
                float max = 0;
                for (int i = 0; i < 16; i++) max = Math.Max(max, m.GetElement(i));
                xscale[g] = max / MaxInt;
                var inv = Vector512.Create(max == 0 ? 0 : MaxInt / max);
                for (int c0 = 0; c0 < groupLength; c0 += Chunk)
                {
                    for (int k = 0; k < Chunk; k += 16)
                    {
                        var q = Vector512.ConvertToInt32(Vector512.Round(Vector512.Load(xg + c0 + k) * inv));
                        var lo = (q << 24) >> 24;
                        Avx512F.ConvertToVector128SByte((q - lo) >> 8).Store(nat + k);
                        Avx512F.ConvertToVector128SByte(lo).Store(nat + Chunk + k);
                    }
                    sbyte* d = pa + (long)(g * groupLength + c0) / Chunk * Bytes;
                    var h0 = Vector512.Load(nat); var h1 = Vector512.Load(nat + 64);
                    var l0 = Vector512.Load(nat + Chunk); var l1 = Vector512.Load(nat + Chunk + 64);
                    Avx512Vbmi.PermuteVar64x8x2(h0, ie, h1).Store(d);
                    Avx512Vbmi.PermuteVar64x8x2(h0, io, h1).Store(d + 64);
                    Avx512Vbmi.PermuteVar64x8x2(l0, ie, l1).Store(d + 128);
                    Avx512Vbmi.PermuteVar64x8x2(l0, io, l1).Store(d + 192);
                }
            }
    }

    /// <summary>Multi-threaded over tiles of 4 rows (rows past a multiple of 4 through the f32 kernel's portable path).</summary>
    public static void Run(PackedRows w, ReadOnlySpan<float> x, Span<float> y)
    {
        if (!Supports(w)) throw new InvalidOperationException($"GemvQ4I16 needs 4-bit codes in groups of a multiple of {Chunk} and AVX-512 BW/VBMI");
        int groups = w.Groups;
        var xsum = ArrayPool<float>.Shared.Rent(groups);   // [groups] Σx (exact f32, for the zero points)
        var xscale = ArrayPool<float>.Shared.Rent(groups); // [groups]
        var arranged = ArrayPool<sbyte>.Shared.Rent(w.In / Chunk * Bytes + 64);
        GemvQxF32.GroupSums(x, w.GroupLength, xsum.AsSpan(0, groups));
        fixed (sbyte* pa0 = arranged)
        {
            sbyte* pa = (sbyte*)(((nint)pa0 + 63) & ~(nint)63); // [in/128, 256], 64-byte aligned
            Arrange(x, w.GroupLength, xscale.AsSpan(0, groups), new Span<sbyte>(pa, w.In / Chunk * Bytes));
            fixed (float* px = x, py = y, pxs = xsum, psc = xscale)
            {
                float* xp = px, yp = py, xs = pxs, sc = psc;
                sbyte* ap = pa;
                KernelThreads.For(w.Out, 4, (r0, r1) =>
                {
                    int o = r0;
                    for (; o + 4 <= r1; o += 4) Rows4(w, ap, sc, xs, yp, o);
                    if (o < r1) GemvQxF32.RowsPortable(w, xp, xs, yp, o, r1);
                }, w.In);
            }
        }
        ArrayPool<float>.Shared.Return(xsum);
        ArrayPool<float>.Shared.Return(xscale);
        ArrayPool<sbyte>.Shared.Return(arranged);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Rows4(in PackedRows w, sbyte* xa /* [in/128, 256] */, float* xscale, float* xsum, float* y, int o)
    {
        var nib = Vector512.Create((byte)0x0F);
        var ones = Vector512.Create((short)1);
        uint* tile = w.LoWord(o, 0); // [WordsLo/16, 4, 16]: chunk c of row i at c·64 + 16·i
        float* tmp = stackalloc float[8]; // a group's parameters converted from fp16
        int chunksPerGroup = w.GroupLength / Chunk;
        Vector512<float> t0 = default, t1 = default, t2 = default, t3 = default;
        var zt = Vector128<float>.Zero;
        for (int g = 0, c = 0; g < w.Groups; g++)
        {
            Vector512<int> q0 = default, q1 = default, q2 = default, q3 = default; // exact Σ q·x̃ per lane
            for (int ce = c + chunksPerGroup; c < ce; c++)
            {
                uint* wc = tile + (long)c * 64;
                GemvQxF32.Prefetch(wc + GemvQxF32.PrefetchWords);
                sbyte* xc = xa + (long)c * Bytes;
                var he = Vector512.Load(xc); var ho = Vector512.Load(xc + 64);
                var le = Vector512.Load(xc + 128); var lo = Vector512.Load(xc + 192);
                q0 += Dot(Vector512.Load(wc).AsByte(), nib, he, ho, le, lo, ones);
                q1 += Dot(Vector512.Load(wc + 16).AsByte(), nib, he, ho, le, lo, ones);
                q2 += Dot(Vector512.Load(wc + 32).AsByte(), nib, he, ho, le, lo, ones);
                q3 += Dot(Vector512.Load(wc + 48).AsByte(), nib, he, ho, le, lo, ones);
            }
            float* pg = w.GroupParams(o, g, tmp); // [2, 4] scales, zeros
            float sx = xscale[g];
            t0 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(q0), Vector512.Create(pg[0] * sx), t0);
            t1 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(q1), Vector512.Create(pg[1] * sx), t1);
            t2 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(q2), Vector512.Create(pg[2] * sx), t2);
            t3 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(q3), Vector512.Create(pg[3] * sx), t3);
            zt = Vector128.FusedMultiplyAdd(Vector128.Load(pg) * Vector128.Load(pg + 4), Vector128.Create(xsum[g]), zt);
        }
        y[o] = Vector512.Sum(t0) - zt[0];
        y[o + 1] = Vector512.Sum(t1) - zt[1];
        y[o + 2] = Vector512.Sum(t2) - zt[2];
        y[o + 3] = Vector512.Sum(t3) - zt[3];
    }

    /// <summary>One row's 128 codes against the arranged x: per 32-bit lane, Σ q·x̃ of its 8 codes, exactly.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<int> Dot(Vector512<byte> w, Vector512<byte> nib, Vector512<sbyte> he, Vector512<sbyte> ho,
        Vector512<sbyte> le, Vector512<sbyte> lo, Vector512<short> ones)
    {
        var ev = w & nib;
        var od = (w.AsUInt32() >>> 4).AsByte() & nib;
        var hi = Avx512BW.MultiplyAddAdjacent(ev, he) + Avx512BW.MultiplyAddAdjacent(od, ho); // |·| ≤ 4·15·128: no saturation
        var lw = Avx512BW.MultiplyAddAdjacent(ev, le) + Avx512BW.MultiplyAddAdjacent(od, lo);
        return (Avx512BW.MultiplyAddAdjacent(hi, ones) << 8) + Avx512BW.MultiplyAddAdjacent(lw, ones);
    }

    /// <summary>The bound on |y − y_f32| this kernel guarantees for row o: Σ_g s·(xscale_g/2)·Σ_{k∈g} q[k], plus f32
    /// rounding of the sums (taken as 10⁻⁶ of Σ|s·q·x| by the tests).</summary>
    public static double ErrorBound(in PackedRows w, ReadOnlySpan<float> xscale, int o)
    {
        double b = 0;
        for (int g = 0; g < w.Groups; g++)
        {
            long qs = 0;
            for (int k = g * w.GroupLength, e = k + w.GroupLength; k < e; k++) qs += w.Code(o, k);
            b += Math.Abs(w.Scale(o, g)) * xscale[g] / 2 * qs;
        }
        return b;
    }
}
