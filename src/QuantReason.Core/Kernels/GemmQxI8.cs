using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace QuantReason.Kernels;

/// <summary>
/// Y = X·Wᵀ for several tokens, packed 2/3/4/8-bit group codes W (<see cref="PackedRows"/>) times integer activations
/// (<see cref="IntActivations"/>: one int8 plane, or 16 bits as two): with x̂ = xs·x̃ per token t and activation group a
/// inside weight group g,
///   y[t,o] = Σ_a s[o,g]·xs[t,a]·(Σ_{k∈a} q[o,k]·x̃[t,k] − z[o,g]·S[t,a]),   S[t,a] = Σ_{k∈a} x̃[t,k],
/// the integer dot products exact in int32 (unsigned codes × signed bytes, <c>vpdpbusd</c>), so y = Σ_k ŵ·x̂ up to f32
/// rounding and |y − Σ_k ŵ·x| ≤ Σ_a xs[t,a]/2·Σ_{k∈a}|ŵ[o,k]| (<see cref="ErrorBound"/>).
/// </summary>
/// <remarks>
/// Tiling: each thread takes whole 4-row tiles; per K-block of <see cref="KBlock"/> columns (whose activations, all
/// tokens, stay in L2) it unpacks a tile's codes once into an 8 KB L1 buffer, one byte per code in lane order, and
/// reuses them for every token. A 256-bit register holds two rows × 4 packed words (one 128-bit lane per row), so a
/// broadcast of 16 activation bytes feeds both rows and each row's dot product stays in its own lane until the end.
/// Why 256-bit: .NET 10 exposes <c>vpdpbusd</c> only as AVX-VNNI (VEX, ymm); on the Zen 4 these run two per cycle,
/// the throughput of one 512-bit op. Paths: AVX-VNNI, AVX2 (<c>vpmaddubsw</c> + <c>vpmaddwd</c>; 8-bit codes split in
/// nibbles so the int16 pair sums cannot saturate), portable <see cref="Vector256"/> and the scalar <see cref="Reference"/>.
/// </remarks>
public static unsafe class GemmQxI8
{
    public enum Path { Portable, Avx2, AvxVnni }

    public static Path Best => AvxVnni.IsSupported ? Path.AvxVnni : Avx2.IsSupported ? Path.Avx2 : Path.Portable;

    /// <summary>Columns per K-block: 2048 × 64 tokens × 2 planes of activations is 256 KB, within L2.</summary>
    public const int KBlock = 2048;

    /// <summary>Columns of one packed block (8 words): the granularity at which activation groups may end.</summary>
    public static int BlockColumns(int bits) => 256 / (bits == 3 ? 2 : bits);

    /// <summary>Columns of one 16-word chunk: the unit of the lane order.</summary>
    public static int ChunkColumns(int bits) => 2 * BlockColumns(bits);

    /// <summary>The activation group the weight-only path uses: 128 columns or the weight group if smaller, never less
    /// than a packed block.</summary>
    public static int ActivationGroup(in PackedRows w) => Math.Max(BlockColumns(w.Bits), Math.Min(w.GroupLength, 128));

    /// <summary>Whether activation groups of <see cref="ActivationGroup"/> nest in the weight groups (not for 4-bit g32,
    /// nor 2/3-bit g32/g64, whose groups are smaller than a packed block).</summary>
    public static bool Supports(in PackedRows w)
    {
        int ga = ActivationGroup(w);
        return w.GroupLength % ga == 0 && w.In % ga == 0;
    }

    /// <summary>The definition in f64 with exact integer sums: what every path computes up to f32 rounding.</summary>
    public static void Reference(in PackedRows w, IntActivations a, Span<float> y)
    {
        int gl = a.GroupLength;
        for (int t = 0; t < a.Tokens; t++)
            for (int o = 0; o < w.Out; o++)
            {
                double acc = 0;
                for (int ag = 0; ag < a.Groups; ag++)
                {
                    int g = ag * gl / w.GroupLength;
                    long d = 0;
                    for (int k = ag * gl; k < (ag + 1) * gl; k++) d += (long)w.Code(o, k) * a.Value(t, k);
                    acc += (double)w.Scale(o, g) * a.Scales[t * a.Groups + ag] * (d - (double)w.Zero(o, g) * a.Sums[t * a.Groups + ag]);
                }
                y[t * w.Out + o] = (float)acc;
            }
    }

    /// <summary>The bound on |y[t,o] − Σ_k ŵ[o,k]·x[t,k]| from rounding x: Σ_a xs[t,a]/2·Σ_{k∈a}|s·(q − z)|.</summary>
    public static double ErrorBound(in PackedRows w, IntActivations a, int t, int o)
    {
        double b = 0;
        for (int ag = 0; ag < a.Groups; ag++)
        {
            double sw = 0;
            for (int k = ag * a.GroupLength; k < (ag + 1) * a.GroupLength; k++)
            {
                int g = k / w.GroupLength;
                sw += Math.Abs(w.Scale(o, g) * (w.Code(o, k) - w.Zero(o, g)));
            }
            b += a.Scales[t * a.Groups + ag] / 2 * sw;
        }
        return b;
    }

    /// <summary>y [tokens, out] = the product; multi-threaded over 4-row tiles.</summary>
    public static void Run(PackedRows w, IntActivations a, Span<float> y, Path? path = null)
    {
        var p = path ?? Best;
        if (p == Path.AvxVnni && !AvxVnni.IsSupported || p == Path.Avx2 && !Avx2.IsSupported)
            throw new InvalidOperationException($"GemmQxI8 path {p} is not supported by this CPU");
        if (a.In != w.In || (a.Bits == 3 ? 2 : a.Bits) != w.LoBits || (a.Bits == 3) != (w.Bits == 3))
            throw new QuantReasonException($"activations for {a.Bits}-bit weights of {a.In} inputs cannot multiply {w.Bits}-bit weights of {w.In}");
        if (a.GroupLength % BlockColumns(w.Bits) != 0 || w.GroupLength % a.GroupLength != 0)
            throw new QuantReasonException($"activation group {a.GroupLength} does not nest in weight group {w.GroupLength}");
        if (y.Length < a.Tokens * w.Out) throw new QuantReasonException($"y has {y.Length} elements, needs [{a.Tokens}, {w.Out}]");
        int tokens = a.Tokens, wGroups = w.Groups;
        // [tokens, weight groups] Σ_{a∈g} xs·S: the zero points' factor per weight group
        var xsum = new float[tokens * wGroups];
        for (int t = 0; t < tokens; t++)
            for (int ag = 0; ag < a.Groups; ag++)
                xsum[t * wGroups + ag * a.GroupLength / w.GroupLength] += a.Scales[t * a.Groups + ag] * a.Sums[t * a.Groups + ag];
        int tiles = (w.Out + 3) / 4;
        fixed (float* py = y, pxs = xsum, pas = a.Scales)
        fixed (sbyte* pc = a.Codes)
        {
            var job = new Job(w, tokens, a.Planes, a.PaddedIn, a.GroupLength, a.Groups, pc, pas, pxs, py);
            KernelThreads.For(tiles, 1, (t0, t1) =>
            {
                switch (p)
                {
                    case Path.AvxVnni: Tiles<VnniDot>(job, t0, t1); break;
                    case Path.Avx2 when w.Bits == 8: Tiles<Avx2WideDot>(job, t0, t1); break;
                    case Path.Avx2: Tiles<Avx2Dot>(job, t0, t1); break;
                    default: Tiles<PortableDot>(job, t0, t1); break;
                }
            }, 4L * w.In * tokens);
        }
    }

    /// <summary>The operands of one call, as raw pointers the worker threads share.</summary>
    readonly struct Job(PackedRows w, int tokens, int planes, int paddedIn, int actGroup, int actGroups,
        sbyte* codes, float* scales, float* xsum, float* y)
    {
        public readonly PackedRows W = w;
        public readonly int Tokens = tokens, Planes = planes, PaddedIn = paddedIn, ActGroup = actGroup, ActGroups = actGroups;
        public readonly sbyte* Codes = codes;   // [tokens, planes, paddedIn]
        public readonly float* Scales = scales; // [tokens, act groups]
        public readonly float* XSum = xsum;     // [tokens, weight groups]
        public readonly float* Y = y;           // [tokens, out]
    }

    static void Tiles<TDot>(in Job j, int tile0, int tile1) where TDot : struct, IDot
    {
        var w = j.W;
        int c = ChunkColumns(w.Bits);
        var raw = stackalloc byte[4 * KBlock + 32];
        byte* buf = (byte*)(((nint)raw + 31) & ~(nint)31); // [KBlock/c, 4 quarters·P, 4 rows, 16] codes in lane order
        for (int kb = 0; kb < w.In; kb += KBlock)
        {
            int kc = Math.Min(KBlock, w.In - kb);
            for (int tile = tile0; tile < tile1; tile++)
            {
                int o = tile * 4;
                Unpack(w, o, kb, kc, buf);
                if (kb == 0) ZeroTerm(j, o);
                int step = j.Planes == 1 ? 4 : 2;
                for (int t = 0; t < j.Tokens; t += step)
                {
                    if (j.Planes == 1) Tokens4<TDot>(j, o, kb, kc, buf, t);
                    else Tokens2Planes2<TDot>(j, o, kb, kc, buf, t);
                }
            }
        }
    }

    /// <summary>Columns [kb, kb + kc) of rows o..o+3 as one byte per code: for chunk ci, quarter q and field p, 64 bytes
    /// (rows 0..3 × the 16 codes of words 4q..4q+3, field p of each byte).</summary>
    public static void Unpack(in PackedRows w, int o, int kb, int kc, byte* buf)
    {
        int lb = w.LoBits, fields = 8 / lb, c = ChunkColumns(w.Bits);
        var mask = Vector128.Create(lb == 8 ? 0xFFFFFFFFu : lb == 4 ? 0x0F0F0F0Fu : 0x03030303u);
        bool three = w.Bits == 3;
        for (int ci = 0, chunk = kb / c; ci * c < kc; ci++, chunk++)
            for (int r = 0; r < 4; r++)
            {
                uint* lo = w.LoWord(o + r, chunk * 16); // the row's 16 words of this chunk
                uint* hi = three ? w.HiWord(o + r, chunk * 8) : null; // its 8 high-bit words (one 256-column block)
                for (int q = 0; q < 4; q++)
                {
                    var v = Vector128.Load(lo + 4 * q);
                    var h = three ? Vector128.Load(hi + 4 * (q & 1)) : default;
                    for (int p = 0; p < fields; p++)
                    {
                        var codes = (v >>> (p * lb)) & mask;
                        if (three)
                        {
                            // byte b's code is field 4b + p, whose high bit is bit (q/2)·16 + 4b + p of the high word
                            var u = (h >>> ((q >> 1) * 16 + p)) & Vector128.Create(0x1111u);
                            u = (u & Vector128.Create(0x0011u)) | ((u & Vector128.Create(0x1100u)) << 8);
                            u = (u & Vector128.Create(0x00010001u)) | ((u & Vector128.Create(0x00100010u)) << 4);
                            codes |= u << 2;
                        }
                        codes.Store((uint*)(buf + ci * 4 * c + (q * fields + p) * 64 + r * 16));
                    }
                }
            }
    }

    /// <summary>y[t, o..o+3] = −Σ_g s·z·Σ_{a∈g} xs·S for every token (the kernels add the code products).</summary>
    static void ZeroTerm(in Job j, int o)
    {
        var w = j.W;
        int groups = w.Groups;
        float* par = w.TileParams(o, 0); // [groups, 2, 4]
        for (int t = 0; t < j.Tokens; t++)
        {
            var zt = Vector128<float>.Zero;
            float* xs = j.XSum + t * groups;
            for (int g = 0; g < groups; g++)
                zt = Vector128.FusedMultiplyAdd(Vector128.Load(par + g * 8) * Vector128.Load(par + g * 8 + 4), Vector128.Create(xs[g]), zt);
            float* yt = j.Y + (long)t * w.Out + o;
            for (int r = 0; r < 4 && o + r < w.Out; r++) yt[r] = -zt[r];
        }
    }

    /// <summary>Two rows' scales, each repeated over its 128-bit lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> PairScales(float* s) => Vector256.Create(Vector128.Create(s[0]), Vector128.Create(s[1]));

    /// <summary>Adds the per-lane sums of two rows' accumulators (row r in lane r) to y[o..o+3].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void AddRows(float* y, int valid, Vector256<float> r01, Vector256<float> r23)
    {
        float s0 = Vector128.Sum(r01.GetLower()), s1 = Vector128.Sum(r01.GetUpper());
        float s2 = Vector128.Sum(r23.GetLower()), s3 = Vector128.Sum(r23.GetUpper());
        y[0] += s0;
        if (valid > 1) y[1] += s1;
        if (valid > 2) y[2] += s2;
        if (valid > 3) y[3] += s3;
    }

    /// <summary>One plane (int8), four tokens t..t+3 (repeating the last past the end), rows o..o+3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Tokens4<TDot>(in Job j, int o, int kb, int kc, byte* buf, int t) where TDot : struct, IDot
    {
        var w = j.W;
        int n = Math.Min(4, j.Tokens - t), fields = 8 / w.LoBits, c = ChunkColumns(w.Bits), blk = c / 2;
        sbyte* x0 = j.Codes + (long)t * j.PaddedIn + kb;
        sbyte* x1 = n > 1 ? x0 + j.PaddedIn : x0, x2 = n > 2 ? x0 + 2L * j.PaddedIn : x0, x3 = n > 3 ? x0 + 3L * j.PaddedIn : x0;
        Vector256<int> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default, a3 = default, b3 = default;
        Vector256<float> f0 = default, g0 = default, f1 = default, g1 = default, f2 = default, g2 = default, f3 = default, g3 = default;
        int blocksPerGroup = j.ActGroup / blk;
        for (int bi = 0, nb = kc / blk; bi < nb; bi++)
        {
            int ci = bi >> 1;
            for (int q = (bi & 1) * 2; q < (bi & 1) * 2 + 2; q++)
                for (int p = 0; p < fields; p++)
                {
                    int off = ci * c + (q * fields + p) * 16;
                    byte* wb = buf + ci * 4 * c + (q * fields + p) * 64;
                    var w01 = Vector256.Load(wb);
                    var w23 = Vector256.Load(wb + 32);
                    var x = Bcast(x0 + off); a0 = TDot.Dot(a0, w01, x); b0 = TDot.Dot(b0, w23, x);
                    x = Bcast(x1 + off); a1 = TDot.Dot(a1, w01, x); b1 = TDot.Dot(b1, w23, x);
                    x = Bcast(x2 + off); a2 = TDot.Dot(a2, w01, x); b2 = TDot.Dot(b2, w23, x);
                    x = Bcast(x3 + off); a3 = TDot.Dot(a3, w01, x); b3 = TDot.Dot(b3, w23, x);
                }
            if ((bi + 1) % blocksPerGroup != 0) continue;
            int ag = (kb + (bi + 1) * blk) / j.ActGroup - 1;
            float* sp = w.TileParams(o, ag * j.ActGroup / w.GroupLength);
            Vector256<float> s01 = PairScales(sp), s23 = PairScales(sp + 2);
            float* xs = j.Scales + (long)t * j.ActGroups + ag;
            Flush(ref f0, ref g0, ref a0, ref b0, s01, s23, xs[0]);
            Flush(ref f1, ref g1, ref a1, ref b1, s01, s23, n > 1 ? xs[j.ActGroups] : 0);
            Flush(ref f2, ref g2, ref a2, ref b2, s01, s23, n > 2 ? xs[2 * j.ActGroups] : 0);
            Flush(ref f3, ref g3, ref a3, ref b3, s01, s23, n > 3 ? xs[3 * j.ActGroups] : 0);
        }
        float* y = j.Y + (long)t * w.Out + o;
        int valid = Math.Min(4, w.Out - o);
        AddRows(y, valid, f0, g0);
        if (n > 1) AddRows(y + w.Out, valid, f1, g1);
        if (n > 2) AddRows(y + 2L * w.Out, valid, f2, g2);
        if (n > 3) AddRows(y + 3L * w.Out, valid, f3, g3);
    }

    /// <summary>Two planes (16-bit: x̃ = 256·hi + lo), two tokens t, t+1, rows o..o+3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Tokens2Planes2<TDot>(in Job j, int o, int kb, int kc, byte* buf, int t) where TDot : struct, IDot
    {
        var w = j.W;
        int n = Math.Min(2, j.Tokens - t), fields = 8 / w.LoBits, c = ChunkColumns(w.Bits), blk = c / 2;
        sbyte* h0 = j.Codes + (long)t * 2 * j.PaddedIn + kb, l0 = h0 + j.PaddedIn;
        sbyte* h1 = n > 1 ? h0 + 2L * j.PaddedIn : h0, l1 = h1 + j.PaddedIn;
        Vector256<int> ah0 = default, bh0 = default, al0 = default, bl0 = default, ah1 = default, bh1 = default, al1 = default, bl1 = default;
        Vector256<float> f0 = default, g0 = default, f1 = default, g1 = default;
        int blocksPerGroup = j.ActGroup / blk;
        for (int bi = 0, nb = kc / blk; bi < nb; bi++)
        {
            int ci = bi >> 1;
            for (int q = (bi & 1) * 2; q < (bi & 1) * 2 + 2; q++)
                for (int p = 0; p < fields; p++)
                {
                    int off = ci * c + (q * fields + p) * 16;
                    byte* wb = buf + ci * 4 * c + (q * fields + p) * 64;
                    var w01 = Vector256.Load(wb);
                    var w23 = Vector256.Load(wb + 32);
                    var x = Bcast(h0 + off); ah0 = TDot.Dot(ah0, w01, x); bh0 = TDot.Dot(bh0, w23, x);
                    x = Bcast(l0 + off); al0 = TDot.Dot(al0, w01, x); bl0 = TDot.Dot(bl0, w23, x);
                    x = Bcast(h1 + off); ah1 = TDot.Dot(ah1, w01, x); bh1 = TDot.Dot(bh1, w23, x);
                    x = Bcast(l1 + off); al1 = TDot.Dot(al1, w01, x); bl1 = TDot.Dot(bl1, w23, x);
                }
            if ((bi + 1) % blocksPerGroup != 0) continue;
            int ag = (kb + (bi + 1) * blk) / j.ActGroup - 1;
            float* sp = w.TileParams(o, ag * j.ActGroup / w.GroupLength);
            Vector256<float> s01 = PairScales(sp), s23 = PairScales(sp + 2);
            float* xs = j.Scales + (long)t * j.ActGroups + ag;
            // |Σ hi·q| ≤ 32·255·127 per lane and group of ≤ 128 columns, so 256·hi + lo stays exact in int32
            var a0 = (ah0 << 8) + al0; var b0 = (bh0 << 8) + bl0;
            var a1 = (ah1 << 8) + al1; var b1 = (bh1 << 8) + bl1;
            Flush(ref f0, ref g0, ref a0, ref b0, s01, s23, xs[0]);
            Flush(ref f1, ref g1, ref a1, ref b1, s01, s23, n > 1 ? xs[j.ActGroups] : 0);
            ah0 = bh0 = al0 = bl0 = ah1 = bh1 = al1 = bl1 = default;
        }
        float* y = j.Y + (long)t * w.Out + o;
        int valid = Math.Min(4, w.Out - o);
        AddRows(y, valid, f0, g0);
        if (n > 1) AddRows(y + w.Out, valid, f1, g1);
    }

    /// <summary>f += s·xs·(float)acc for both row pairs, then acc = 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Flush(ref Vector256<float> f, ref Vector256<float> g, ref Vector256<int> a, ref Vector256<int> b,
        Vector256<float> s01, Vector256<float> s23, float xs)
    {
        var x = Vector256.Create(xs);
        f = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(a), s01 * x, f);
        g = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(b), s23 * x, g);
        a = default; b = default;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<sbyte> Bcast(sbyte* p) => Vector256.Create(Vector128.Load(p));

    /// <summary>acc[i] += Σ_{4 bytes of lane i} w·x (unsigned × signed), exactly, within each 128-bit lane.</summary>
    interface IDot
    {
        static abstract Vector256<int> Dot(Vector256<int> acc, Vector256<byte> w, Vector256<sbyte> x);
    }

    struct VnniDot : IDot
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Dot(Vector256<int> acc, Vector256<byte> w, Vector256<sbyte> x) => AvxVnni.MultiplyWideningAndAdd(acc, w, x);
    }

    /// <summary>Codes ≤ 15: pairs of products sum to at most 2·15·127, no int16 saturation.</summary>
    struct Avx2Dot : IDot
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Dot(Vector256<int> acc, Vector256<byte> w, Vector256<sbyte> x) =>
            acc + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(w, x), Vector256.Create((short)1));
    }

    /// <summary>8-bit codes as 16·high nibble + low nibble: each half is a 4-bit product.</summary>
    struct Avx2WideDot : IDot
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Dot(Vector256<int> acc, Vector256<byte> w, Vector256<sbyte> x)
        {
            var nib = Vector256.Create((byte)0x0F);
            var hi = Avx2.MultiplyAddAdjacent((w.AsUInt16() >>> 4).AsByte() & nib, x);
            var lo = Avx2.MultiplyAddAdjacent(w & nib, x);
            return acc + Avx2.MultiplyAddAdjacent(hi, Vector256.Create((short)16)) + Avx2.MultiplyAddAdjacent(lo, Vector256.Create((short)1));
        }
    }

    /// <summary>Cross-platform vectors: widen to int16 (|255·127| fits), multiply, widen and add per 128-bit lane.</summary>
    struct PortableDot : IDot
    {
        public static Vector256<int> Dot(Vector256<int> acc, Vector256<byte> w, Vector256<sbyte> x) =>
            acc + Vector256.Create(Lane(w.GetLower(), x.GetLower()), Lane(w.GetUpper(), x.GetUpper()));

        static Vector128<int> Lane(Vector128<byte> w, Vector128<sbyte> x)
        {
            var pl = Vector128.WidenLower(w).AsInt16() * Vector128.WidenLower(x);
            var ph = Vector128.WidenUpper(w).AsInt16() * Vector128.WidenUpper(x);
            return Vector128.WidenLower(pl) + Vector128.WidenUpper(pl) + Vector128.WidenLower(ph) + Vector128.WidenUpper(ph);
        }
    }
}
