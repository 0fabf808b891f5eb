using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace QuantReason.Kernels;

/// <summary>
/// Y = X·Wᵀ for several tokens, packed 2/3/4/8-bit group codes W (<see cref="PackedRows"/>) times integer activations
/// (<see cref="IntActivations"/>: one int8 plane, or 16 bits as two): with x̂ = xs·x̃ per token t and activation group a
/// inside weight group g,
///   y[t,o] = Σ_a s[o,g]·xs[t,a]·(Σ_{k∈a} q[o,k]·x̃[t,k] − z[o,g]·S[t,a]),   S[t,a] = Σ_{k∈a} x̃[t,k],
/// the integer dot products exact in int32, so y = Σ_k ŵ·x̂ up to f32 rounding and
/// |y − Σ_k ŵ·x| ≤ Σ_a xs[t,a]/2·Σ_{k∈a}|ŵ[o,k]| (<see cref="ErrorBound"/>).
/// </summary>
/// <remarks>
/// Tiling: each thread takes whole 4-row tiles; per K-block of <see cref="KBlock"/> columns (whose activations, all
/// tokens, stay in L2) it unpacks a tile's codes once into an L1 buffer in lane order and reuses them for every token.
/// A register holds two rows (one 128-bit lane per row and 16 codes; two lanes per row at 512 bits), so a broadcast of
/// a token's 16 activations feeds both rows and each row's dot product stays in its own lanes until the end.
/// Paths, fastest first:
/// <list type="bullet">
/// <item>AVX-512BW (<see cref="Tokens4Wide"/>): int16 codes × 16-bit activations, <c>vpmaddwd</c> + <c>vpaddd</c>, 32
/// products per instruction. .NET 10 exposes <c>vpdpbusd</c> / <c>vpdpwssd</c> only as AVX-VNNI (VEX, ymm) on CPUs
/// without AVX10; on the Zen 5 these issue about two per cycle, as does <c>vpmaddwd</c> on zmm, so the 512-bit
/// multiply-add of 16-bit pairs does twice the work per instruction of the two-plane byte path below (measured on one
/// core: 8.2 G <c>vpmaddwd</c> zmm/s against 6.1 G <c>vpdpbusd</c> ymm/s).</item>
/// <item>AVX-VNNI: unsigned byte codes × signed activation bytes, <c>vpdpbusd</c> on ymm (16-bit activations as two
/// planes).</item>
/// <item>AVX2: <c>vpmaddubsw</c> + <c>vpmaddwd</c>; 8-bit codes split in nibbles so the int16 pair sums cannot
/// saturate.</item>
/// <item>Portable <see cref="Vector256"/>, and the scalar <see cref="Reference"/> every path is tested against.</item>
/// </list>
/// </remarks>
public static unsafe class GemmQxI8
{
    public enum Path { Portable, Avx2, AvxVnni, Avx512 }

    public static Path Best => Avx512BW.IsSupported ? Path.Avx512 : AvxVnni.IsSupported ? Path.AvxVnni : Avx2.IsSupported ? Path.Avx2 : Path.Portable;

    /// <summary>Columns per K-block: 2048 × 64 tokens × 2 planes of activations is 256 KB, within L2. The 512-bit path
    /// takes half (its int16 codes are twice the bytes: 4 rows × 1024 × 2 = 8 KB, the byte paths' L1 share).</summary>
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
        if (p == Path.Avx512 && !Avx512BW.IsSupported || p == Path.AvxVnni && !AvxVnni.IsSupported || p == Path.Avx2 && !Avx2.IsSupported)
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
        fixed (sbyte* pc = p == Path.Avx512 ? null : a.Codes)
        fixed (short* pw = p == Path.Avx512 ? a.Wide : null)
        {
            var job = new Job(w, tokens, a.Planes, a.PaddedIn, a.GroupLength, a.Groups, pc, pw, pas, pxs, py);
            KernelThreads.For(tiles, 1, (t0, t1) =>
            {
                switch (p)
                {
                    case Path.Avx512: Tiles<PortableDot>(job, t0, t1); break; // job.Wide set: the 512-bit kernel, no IDot
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
        sbyte* codes, short* wide, float* scales, float* xsum, float* y)
    {
        public readonly PackedRows W = w;
        public readonly int Tokens = tokens, Planes = planes, PaddedIn = paddedIn, ActGroup = actGroup, ActGroups = actGroups;
        public readonly sbyte* Codes = codes;   // [tokens, planes, paddedIn]
        public readonly short* Wide = wide;     // [tokens, paddedIn] x̃ as int16 for the 512-bit path, else null
        public readonly float* Scales = scales; // [tokens, act groups]
        public readonly float* XSum = xsum;     // [tokens, weight groups]
        public readonly float* Y = y;           // [tokens, out]
    }

    static void Tiles<TDot>(in Job j, int tile0, int tile1) where TDot : struct, IDot
    {
        var w = j.W;
        // K-blocks end on chunk and activation-group boundaries: the largest multiple of both within KBlock
        bool wide = j.Wide != null;
        int c = ChunkColumns(w.Bits), unit = j.ActGroup / Gcd(j.ActGroup, c) * c, kblock = Math.Max(1, (wide ? KBlock / 2 : KBlock) / unit) * unit;
        var raw = stackalloc byte[(wide ? 8 : 4) * kblock + 64];
        byte* buf = (byte*)(((nint)raw + 63) & ~(nint)63); // [kblock/c, 4 quarters·P, 4 rows, 16] codes in lane order (int16 when wide)
        for (int kb = 0; kb < w.In; kb += kblock)
        {
            int kc = Math.Min(kblock, w.In - kb);
            for (int tile = tile0; tile < tile1; tile++)
            {
                int o = tile * 4;
                if (wide)
                {
                    UnpackWide(w, o, kb, kc, (short*)buf);
                    for (int t = 0; t < j.Tokens; t += 4) Tokens4Wide(j, o, kb, kc, (short*)buf, t);
                    continue;
                }
                Unpack(w, o, kb, kc, buf);
                if (kb == 0) ZeroTerm(j, o);
                if (j.Planes == 1)
                    for (int t = 0; t < j.Tokens; t += 4) Tokens4<TDot>(j, o, kb, kc, buf, t);
                else
                    for (int t = 0; t < j.Tokens; t += 2) Tokens2Planes2<TDot>(j, o, kb, kc, buf, t);
            }
        }
    }

    static int Gcd(int a, int b) => b == 0 ? a : Gcd(b, a % b);

    /// <summary>Columns [kb, kb + kc) of rows o..o+3 as one byte per code: for chunk ci, quarter q and field p, 64 bytes
    /// (rows 0..3 × the 16 codes of words 4q..4q+3, field p of each byte). 2/4/8-bit codes with AVX2: two rows' two
    /// quarters per 256-bit load, regrouped by row pair with one lane permutation per 32-byte store.</summary>
    public static void Unpack(in PackedRows w, int o, int kb, int kc, byte* buf)
    {
        if (!Avx2.IsSupported || w.Bits == 3)
        {
            UnpackPortable(w, o, kb, kc, buf);
            return;
        }
        int lb = w.LoBits, fields = 8 / lb, c = ChunkColumns(w.Bits);
        var mask = Vector256.Create(lb == 8 ? 0xFFFFFFFFu : lb == 4 ? 0x0F0F0F0Fu : 0x03030303u);
        for (int ci = 0, chunk = kb / c; ci * c < kc; ci++, chunk++)
        {
            byte* dst = buf + ci * 4 * c;
            for (int r = 0; r < 4; r += 2)
            {
                uint* l0 = w.LoWord(o + r, chunk * 16), l1 = l0 + PackedRows.ChunkWords; // rows r and r + 1: adjacent in the tile
                for (int h = 0; h < 2; h++) // quarters 2h and 2h + 1
                {
                    var va = Vector256.Load(l0 + 8 * h);
                    var vb = Vector256.Load(l1 + 8 * h);
                    for (int p = 0; p < fields; p++)
                    {
                        var ca = (va >>> (p * lb)) & mask;
                        var cb = (vb >>> (p * lb)) & mask;
                        Avx2.Permute2x128(ca, cb, 0x20).Store((uint*)(dst + (2 * h * fields + p) * 64 + r * 16));
                        Avx2.Permute2x128(ca, cb, 0x31).Store((uint*)(dst + ((2 * h + 1) * fields + p) * 64 + r * 16));
                    }
                }
            }
        }
    }

    /// <summary><see cref="Unpack"/> 16 codes at a time with cross-platform vectors (and the 3-bit high plane).</summary>
    public static void UnpackPortable(in PackedRows w, int o, int kb, int kc, byte* buf)
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

    /// <summary><see cref="Unpack"/> as int16 (the 512-bit path's operand, loaded without widening at each use): per
    /// chunk, the tile's four rows in four registers (a 128-bit lane per quarter), each field masked out, the lanes
    /// transposed so a register holds one quarter of all four rows, and each half zero-extended into one slot's two
    /// registers. 3-bit codes go through <see cref="UnpackPortable"/> and are widened after.</summary>
    public static void UnpackWide(in PackedRows w, int o, int kb, int kc, short* buf)
    {
        int c = ChunkColumns(w.Bits);
        if (!Avx512BW.IsSupported || w.Bits == 3)
        {
            var bytes = stackalloc byte[4 * c];
            for (int ci = 0; ci * c < kc; ci++)
            {
                UnpackPortable(w, o, kb + ci * c, c, bytes);
                for (int i = 0; i < 4 * c; i++) buf[ci * 4 * c + i] = bytes[i];
            }
            return;
        }
        int lb = w.LoBits, fields = 8 / lb;
        var mask = Vector512.Create(lb == 8 ? 0xFFFFFFFFu : lb == 4 ? 0x0F0F0F0Fu : 0x03030303u);
        for (int ci = 0, chunk = kb / c; ci * c < kc; ci++, chunk++)
        {
            uint* l0 = w.LoWord(o, chunk * 16); // rows o..o+3: 16 words each, consecutive
            // the next tile's same chunk into L2: with few tokens this pass is where the weights stream from DRAM
            GemvQxF32.Prefetch(l0 + (long)w.WordsLo * PackedRows.TileRows);
            var r0 = Vector512.Load(l0);
            var r1 = Vector512.Load(l0 + 16);
            var r2 = Vector512.Load(l0 + 32);
            var r3 = Vector512.Load(l0 + 48);
            short* dst = buf + ci * 4 * c;
            for (int p = 0; p < fields; p++)
            {
                var c0 = (r0 >>> (p * lb)) & mask;
                var c1 = (r1 >>> (p * lb)) & mask;
                var c2 = (r2 >>> (p * lb)) & mask;
                var c3 = (r3 >>> (p * lb)) & mask;
                var t0 = Avx512F.Shuffle4x128(c0, c1, 0x44); // [r0q0 r0q1 r1q0 r1q1]
                var t1 = Avx512F.Shuffle4x128(c0, c1, 0xEE); // [r0q2 r0q3 r1q2 r1q3]
                var t2 = Avx512F.Shuffle4x128(c2, c3, 0x44);
                var t3 = Avx512F.Shuffle4x128(c2, c3, 0xEE);
                Store(dst + (0 * fields + p) * 64, Avx512F.Shuffle4x128(t0, t2, 0x88)); // [r0q0 r1q0 r2q0 r3q0]
                Store(dst + (1 * fields + p) * 64, Avx512F.Shuffle4x128(t0, t2, 0xDD));
                Store(dst + (2 * fields + p) * 64, Avx512F.Shuffle4x128(t1, t3, 0x88));
                Store(dst + (3 * fields + p) * 64, Avx512F.Shuffle4x128(t1, t3, 0xDD));
            }
        }

        static void Store(short* slot, Vector512<uint> q)
        {
            Avx512BW.ConvertToVector512Int16(q.GetLower().AsByte()).Store(slot);
            Avx512BW.ConvertToVector512Int16(q.GetUpper().AsByte()).Store(slot + 32);
        }
    }

    /// <summary>y[t, o..o+3] = −Σ_g s·z·Σ_{a∈g} xs·S for every token (the kernels add the code products).</summary>
    static void ZeroTerm(in Job j, int o)
    {
        var w = j.W;
        int groups = w.Groups;
        var sz = stackalloc float[4 * groups]; // [groups, 4] s·z of the tile's rows
        var tmp = stackalloc float[8];
        for (int g = 0; g < groups; g++)
        {
            float* pg = w.GroupParams(o, g, tmp);
            (Vector128.Load(pg) * Vector128.Load(pg + 4)).Store(sz + 4 * g);
        }
        for (int t = 0; t < j.Tokens; t++)
        {
            // four chains: one FMA's latency per group would otherwise bound this loop
            Vector128<float> z0 = default, z1 = default, z2 = default, z3 = default;
            float* xs = j.XSum + (long)t * groups;
            int g = 0;
            for (; g + 4 <= groups; g += 4)
            {
                z0 = Vector128.FusedMultiplyAdd(Vector128.Load(sz + 4 * g), Vector128.Create(xs[g]), z0);
                z1 = Vector128.FusedMultiplyAdd(Vector128.Load(sz + 4 * g + 4), Vector128.Create(xs[g + 1]), z1);
                z2 = Vector128.FusedMultiplyAdd(Vector128.Load(sz + 4 * g + 8), Vector128.Create(xs[g + 2]), z2);
                z3 = Vector128.FusedMultiplyAdd(Vector128.Load(sz + 4 * g + 12), Vector128.Create(xs[g + 3]), z3);
            }
            for (; g < groups; g++) z0 = Vector128.FusedMultiplyAdd(Vector128.Load(sz + 4 * g), Vector128.Create(xs[g]), z0);
            var zt = (z0 + z1) + (z2 + z3);
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
        if (valid == 4 && Avx.IsSupported)
        {
            var h = Avx.HorizontalAdd(r01, r23);
            h = Avx.HorizontalAdd(h, h); // lane 0: [Σr0, Σr2, ·, ·], lane 1: [Σr1, Σr3, ·, ·]
            (Vector128.Load(y) + Sse.UnpackLow(h.GetLower(), h.GetUpper())).Store(y);
            return;
        }
        float s0 = Vector128.Sum(r01.GetLower()), s1 = Vector128.Sum(r01.GetUpper());
        float s2 = Vector128.Sum(r23.GetLower()), s3 = Vector128.Sum(r23.GetUpper());
        y[0] += s0;
        if (valid > 1) y[1] += s1;
        if (valid > 2) y[2] += s2;
        if (valid > 3) y[3] += s3;
    }

    // The K-block is a linear run of 64-byte slots (quarter q, field p of each chunk, in order): slot i's codes are at
    // buf + 64·i, each token's activation bytes at 16·i; an activation group is (ActGroup / block)·2·fields slots.

    /// <summary>One plane (int8), four tokens t..t+3 (repeating the last past the end), rows o..o+3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Tokens4<TDot>(in Job j, int o, int kb, int kc, byte* buf, int t) where TDot : struct, IDot
    {
        var w = j.W;
        int n = Math.Min(4, j.Tokens - t), fields = 8 / w.LoBits, blk = BlockColumns(w.Bits);
        int slotsPerGroup = j.ActGroup / blk * 2 * fields, groups = kc / j.ActGroup;
        sbyte* x0 = j.Codes + (long)t * j.PaddedIn + kb;
        sbyte* x1 = n > 1 ? x0 + j.PaddedIn : x0, x2 = n > 2 ? x0 + 2L * j.PaddedIn : x0, x3 = n > 3 ? x0 + 3L * j.PaddedIn : x0;
        var f = stackalloc Vector256<float>[8]; // [token, row pair] float sums, flushed into once per activation group
        for (int i = 0; i < 8; i++) f[i] = default;
        byte* wb = buf;
        // no division per group: the scale pointer advances one tile group every `per` activation groups
        int per = w.GroupLength / j.ActGroup, ag0 = kb / j.ActGroup, left = per - ag0 % per, wg = ag0 / per;
        var tmp = stackalloc float[8];
        float* sp = w.GroupParams(o, wg, tmp);
        float* xs0 = j.Scales + (long)t * j.ActGroups + ag0;
        float* xs1 = n > 1 ? xs0 + j.ActGroups : xs0, xs2 = n > 2 ? xs0 + 2L * j.ActGroups : xs0, xs3 = n > 3 ? xs0 + 3L * j.ActGroups : xs0;
        for (int ag = 0; ag < groups; ag++)
        {
            Vector256<int> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default, a3 = default, b3 = default;
            for (byte* we = wb + 64 * slotsPerGroup; wb < we; wb += 64, x0 += 16, x1 += 16, x2 += 16, x3 += 16)
            {
                var w01 = Vector256.Load(wb);
                var w23 = Vector256.Load(wb + 32);
                var x = Bcast(x0); a0 = TDot.Dot(a0, w01, x); b0 = TDot.Dot(b0, w23, x);
                x = Bcast(x1); a1 = TDot.Dot(a1, w01, x); b1 = TDot.Dot(b1, w23, x);
                x = Bcast(x2); a2 = TDot.Dot(a2, w01, x); b2 = TDot.Dot(b2, w23, x);
                x = Bcast(x3); a3 = TDot.Dot(a3, w01, x); b3 = TDot.Dot(b3, w23, x);
            }
            Vector256<float> s01 = PairScales(sp), s23 = PairScales(sp + 2);
            Flush(f, a0, b0, s01, s23, xs0[ag]);
            Flush(f + 2, a1, b1, s01, s23, xs1[ag]);
            Flush(f + 4, a2, b2, s01, s23, xs2[ag]);
            Flush(f + 6, a3, b3, s01, s23, xs3[ag]);
            if (--left == 0 && ag + 1 < groups) { sp = w.GroupParams(o, ++wg, tmp); left = per; }
        }
        float* y = j.Y + (long)t * w.Out + o;
        int valid = Math.Min(4, w.Out - o);
        for (int i = 0; i < n; i++) AddRows(y + (long)i * w.Out, valid, f[2 * i], f[2 * i + 1]);
    }

    /// <summary>Two planes (16-bit: x̃ = 256·hi + lo), two tokens t, t+1, rows o..o+3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Tokens2Planes2<TDot>(in Job j, int o, int kb, int kc, byte* buf, int t) where TDot : struct, IDot
    {
        var w = j.W;
        int n = Math.Min(2, j.Tokens - t), fields = 8 / w.LoBits, blk = BlockColumns(w.Bits);
        int slotsPerGroup = j.ActGroup / blk * 2 * fields, groups = kc / j.ActGroup;
        sbyte* h0 = j.Codes + (long)t * 2 * j.PaddedIn + kb;
        sbyte* h1 = n > 1 ? h0 + 2L * j.PaddedIn : h0;
        long lo = j.PaddedIn; // the low plane follows the high one
        var f = stackalloc Vector256<float>[4]; // [token, row pair]
        for (int i = 0; i < 4; i++) f[i] = default;
        byte* wb = buf;
        int per = w.GroupLength / j.ActGroup, ag0 = kb / j.ActGroup, left = per - ag0 % per, wg = ag0 / per;
        var tmp = stackalloc float[8];
        float* sp = w.GroupParams(o, wg, tmp);
        float* xs0 = j.Scales + (long)t * j.ActGroups + ag0, xs1 = n > 1 ? xs0 + j.ActGroups : xs0;
        for (int ag = 0; ag < groups; ag++)
        {
            Vector256<int> ah0 = default, bh0 = default, al0 = default, bl0 = default, ah1 = default, bh1 = default, al1 = default, bl1 = default;
            for (byte* we = wb + 64 * slotsPerGroup; wb < we; wb += 64, h0 += 16, h1 += 16)
            {
                var w01 = Vector256.Load(wb);
                var w23 = Vector256.Load(wb + 32);
                var x = Bcast(h0); ah0 = TDot.Dot(ah0, w01, x); bh0 = TDot.Dot(bh0, w23, x);
                x = Bcast(h0 + lo); al0 = TDot.Dot(al0, w01, x); bl0 = TDot.Dot(bl0, w23, x);
                x = Bcast(h1); ah1 = TDot.Dot(ah1, w01, x); bh1 = TDot.Dot(bh1, w23, x);
                x = Bcast(h1 + lo); al1 = TDot.Dot(al1, w01, x); bl1 = TDot.Dot(bl1, w23, x);
            }
            Vector256<float> s01 = PairScales(sp), s23 = PairScales(sp + 2);
            // |Σ hi·q| ≤ (ActGroup/4)·255·127 per lane (ActGroup ≤ 1024), so 256·hi + lo stays exact in int32
            Flush(f, (ah0 << 8) + al0, (bh0 << 8) + bl0, s01, s23, xs0[ag]);
            Flush(f + 2, (ah1 << 8) + al1, (bh1 << 8) + bl1, s01, s23, xs1[ag]);
            if (--left == 0 && ag + 1 < groups) { sp = w.GroupParams(o, ++wg, tmp); left = per; }
        }
        float* y = j.Y + (long)t * w.Out + o;
        int valid = Math.Min(4, w.Out - o);
        for (int i = 0; i < n; i++) AddRows(y + (long)i * w.Out, valid, f[2 * i], f[2 * i + 1]);
    }

    /// <summary>16-bit x̃ (<see cref="IntActivations.Wide"/>), four tokens t..t+3 (repeating the last past the end),
    /// rows o..o+3, AVX-512BW, over int16 codes from <see cref="UnpackWide"/> (rows 0,1 in one register: row 0 in
    /// 128-bit lanes 0–1, row 1 in 2–3), each token's 16 values broadcast to both 256-bit halves, then
    /// <c>vpmaddwd</c> + <c>vpaddd</c>: 32 exact products per instruction, twice what the two-plane <c>vpdpbusd</c> on
    /// ymm gives per 16-bit product (on Zen 5 both issue about two per cycle). Per int32 element ActGroup/8 products of
    /// at most 255·32767: within int32 for groups up to 1024. Four tokens keep the eight integer and the eight float
    /// accumulators in registers: the per-group flush is then arithmetic only. The zero points' term
    /// s·z·Σ_{a∈g} xs·S is summed per token at each weight group's first activation group, the tile's four rows in one
    /// 128-bit register (no <see cref="ZeroTerm"/> pass), and subtracted at the end; the first K-block stores y, later
    /// ones add.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Tokens4Wide(in Job j, int o, int kb, int kc, short* buf, int t)
    {
        var w = j.W;
        int n = Math.Min(4, j.Tokens - t), fields = 8 / w.LoBits, blk = BlockColumns(w.Bits);
        int slotsPerGroup = j.ActGroup / blk * 2 * fields, groups = kc / j.ActGroup;
        int ag0 = kb / j.ActGroup;
        short* x0 = j.Wide + (long)t * j.PaddedIn + kb;
        short* x1 = n > 1 ? x0 + j.PaddedIn : x0, x2 = n > 2 ? x0 + 2L * j.PaddedIn : x0, x3 = n > 3 ? x0 + 3L * j.PaddedIn : x0;
        float* xs0 = j.Scales + (long)t * j.ActGroups + ag0;
        float* xs1 = n > 1 ? xs0 + j.ActGroups : xs0, xs2 = n > 2 ? xs0 + 2L * j.ActGroups : xs0, xs3 = n > 3 ? xs0 + 3L * j.ActGroups : xs0;
        int wGroups = w.Groups;
        float* zs0 = j.XSum + (long)t * wGroups; // [tokens, weight groups] Σ_{a∈g} xs·S
        float* zs1 = n > 1 ? zs0 + wGroups : zs0, zs2 = n > 2 ? zs0 + 2L * wGroups : zs0, zs3 = n > 3 ? zs0 + 3L * wGroups : zs0;
        Vector512<float> f0 = default, g0 = default, f1 = default, g1 = default, f2 = default, g2 = default, f3 = default, g3 = default;
        Vector128<float> z0 = default, z1 = default, z2 = default, z3 = default; // [rows o..o+3] Σ_g s·z·Σ_{a∈g} xs·S per token
        short* wb = buf;
        int per = w.GroupLength / j.ActGroup, left = per - ag0 % per, wg = ag0 / per;
        var tmp = stackalloc float[8];
        float* sp = w.GroupParams(o, wg, tmp);
        for (int ag = 0; ag < groups; ag++)
        {
            Vector512<int> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default, a3 = default, b3 = default;
            for (short* we = wb + 64 * slotsPerGroup; wb < we; wb += 64, x0 += 16, x1 += 16, x2 += 16, x3 += 16)
            {
                var w01 = Vector512.Load(wb);
                var w23 = Vector512.Load(wb + 32);
                var v = Bcast512(x0); a0 += Avx512BW.MultiplyAddAdjacent(w01, v); b0 += Avx512BW.MultiplyAddAdjacent(w23, v);
                v = Bcast512(x1); a1 += Avx512BW.MultiplyAddAdjacent(w01, v); b1 += Avx512BW.MultiplyAddAdjacent(w23, v);
                v = Bcast512(x2); a2 += Avx512BW.MultiplyAddAdjacent(w01, v); b2 += Avx512BW.MultiplyAddAdjacent(w23, v);
                v = Bcast512(x3); a3 += Avx512BW.MultiplyAddAdjacent(w01, v); b3 += Avx512BW.MultiplyAddAdjacent(w23, v);
            }
            var s01 = Vector512.Create(Vector256.Create(sp[0]), Vector256.Create(sp[1]));
            var s23 = Vector512.Create(Vector256.Create(sp[2]), Vector256.Create(sp[3]));
            var x = Vector512.Create(xs0[ag]);
            f0 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(a0), s01 * x, f0);
            g0 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(b0), s23 * x, g0);
            x = Vector512.Create(xs1[ag]);
            f1 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(a1), s01 * x, f1);
            g1 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(b1), s23 * x, g1);
            x = Vector512.Create(xs2[ag]);
            f2 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(a2), s01 * x, f2);
            g2 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(b2), s23 * x, g2);
            x = Vector512.Create(xs3[ag]);
            f3 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(a3), s01 * x, f3);
            g3 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(b3), s23 * x, g3);
            if (left == per)
            {
                var sz = Vector128.Load(sp) * Vector128.Load(sp + 4); // s·z of rows o..o+3
                z0 = Vector128.FusedMultiplyAdd(sz, Vector128.Create(zs0[wg]), z0);
                z1 = Vector128.FusedMultiplyAdd(sz, Vector128.Create(zs1[wg]), z1);
                z2 = Vector128.FusedMultiplyAdd(sz, Vector128.Create(zs2[wg]), z2);
                z3 = Vector128.FusedMultiplyAdd(sz, Vector128.Create(zs3[wg]), z3);
            }
            if (--left == 0 && ag + 1 < groups) { sp = w.GroupParams(o, ++wg, tmp); left = per; }
        }
        float* y = j.Y + (long)t * w.Out + o;
        int valid = Math.Min(4, w.Out - o);
        bool first = kb == 0;
        AddRows512(y, valid, f0, g0, z0, first);
        if (n > 1) AddRows512(y + w.Out, valid, f1, g1, z1, first);
        if (n > 2) AddRows512(y + 2L * w.Out, valid, f2, g2, z2, first);
        if (n > 3) AddRows512(y + 3L * w.Out, valid, f3, g3, z3, first);
    }

    /// <summary>Stores (first K-block) or adds row r's sum (the 256-bit half r mod 2 of register r/2) minus its zero
    /// points' term z[r] to y[r], for the valid rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void AddRows512(float* y, int valid, Vector512<float> r01, Vector512<float> r23, Vector128<float> z, bool first)
    {
        var sums = Vector128.Create(Vector256.Sum(r01.GetLower()), Vector256.Sum(r01.GetUpper()), Vector256.Sum(r23.GetLower()), Vector256.Sum(r23.GetUpper())) - z;
        if (valid == 4)
        {
            (first ? sums : Vector128.Load(y) + sums).Store(y);
            return;
        }
        for (int r = 0; r < valid; r++) y[r] = first ? sums[r] : y[r] + sums[r];
    }

    /// <summary>16 int16 values into both 256-bit halves (<c>vbroadcasti64x4</c>: a load, no shuffle).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<short> Bcast512(short* p) => Avx512F.BroadcastVector256ToVector512((long*)p).AsInt16();

    /// <summary>f[0..1] += s·xs·(float)acc for both row pairs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Flush(Vector256<float>* f, Vector256<int> a, Vector256<int> b, Vector256<float> s01, Vector256<float> s23, float xs)
    {
        var x = Vector256.Create(xs);
        f[0] = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(a), s01 * x, f[0]);
        f[1] = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(b), s23 * x, f[1]);
    }

    /// <summary>16 bytes into both 128-bit lanes (<c>vbroadcasti128</c>: a load, no shuffle).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<sbyte> Bcast(sbyte* p) => Avx2.IsSupported ? Avx2.BroadcastVector128ToVector256(p) : Vector256.Create(Vector128.Load(p));

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
