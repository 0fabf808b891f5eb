using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace QuantReason.Kernels;

/// <summary>
/// Activations of one token quantized for <see cref="GemvQxI16"/>: per weight group g, x̃[k] = xs[g]·xq[k] with
/// xs[g] = max|x_g| / 32767 and xq = round(x/xs), so every element is within xs[g]/2 of x (16 significant bits against
/// the group's largest element; f32 sums of a group carry 24 bits against their own magnitude, which is why this is a
/// separate, stated tolerance rather than a bit-for-bit equivalent of <see cref="GemvQxF32"/>).
/// </summary>
public sealed class ActivationsI16
{
    public readonly short[] Q;        // [in]      xq in natural column order (the reference reads this)
    public readonly short[] Arranged; // [in]      xq in the kernel's lane order (see GemvQxI16.Arrange)
    public readonly float[] Scale;    // [groups]  xs
    public readonly float[] Sum;      // [groups]  Σ x̃ over the group: the zero-point term's factor

    public ActivationsI16(int inFeatures, int groups)
    {
        Q = new short[inFeatures];
        Arranged = GC.AllocateUninitializedArray<short>(inFeatures, pinned: true);
        Scale = new float[groups];
        Sum = new float[groups];
    }

    public void Quantize(ReadOnlySpan<float> x /* [in] */, int groupLength)
    {
        for (int g = 0; g < Scale.Length; g++)
        {
            var xg = x.Slice(g * groupLength, groupLength);
            float max = MathF.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(xg));
            // A NaN or infinity in x makes the group's scale NaN, so y is NaN as the f32 kernel's would be.
            float xs = !float.IsFinite(max) ? float.NaN : max / 32767f, inv = xs > 0 ? 1f / xs : 0f;
            long sum = 0;
            for (int k = 0; k < groupLength; k++)
            {
                var q = (short)Math.Clamp(MathF.Round(xg[k] * inv), -32767f, 32767f);
                Q[g * groupLength + k] = q;
                sum += q;
            }
            Scale[g] = xs;
            Sum[g] = (float)(sum * (double)xs);
        }
    }
}

/// <summary>
/// y = x̃·Wᵀ for 2-, 4- and 8-bit group-quantized weights with 16-bit activations (<see cref="ActivationsI16"/>): the
/// codes are widened to int16 in place by a shift and a mask, and <c>vpmaddwd</c> multiplies 32 codes by 32 activations
/// into 16 exact int32 sums per instruction, half the instructions per code of the f32 kernel (and, convert, FMA per 16
/// codes), which is compute-bound on this machine. The integer part is exact; each group ends with one convert and one
/// FMA by s[o,g]·xs[g]. <see cref="Reference"/> evaluates the same formula in f64 from the natural-order activations.
/// </summary>
public static unsafe class GemvQxI16
{
    /// <summary>One 512-bit load of a row: 16 words, two packed blocks.</summary>
    const int ChunkWords = 16;

    static int ChunkCodes(int bits) => ChunkWords * (32 / bits);

    /// <summary>
    /// Whether the kernel applies: AVX-512BW, one plane (2, 4 or 8 bits), whole chunks per group, and no int32 overflow
    /// within a group: each lane sums GroupLength/16 products of at most (2^bits − 1)·32767.
    /// </summary>
    public static bool Supports(in PackedRows w) =>
        Avx512BW.IsSupported && w.Bits is 2 or 4 or 8 && w.GroupLength % ChunkCodes(w.Bits) == 0
        && (double)w.GroupLength / 16 * ((1 << w.Bits) - 1) * 32767 < int.MaxValue;

    /// <summary>
    /// Lane order of the kernel: in chunk c, vector m holds in int16 lane L the activation of the code that field m of
    /// that lane holds. Lane L is half L mod 2 of word j = L/2; word j is word j mod 8 of block j/8; the half holds fields
    /// h·f … h·f + f − 1 of the word (f = 16/bits), and field n of word j' of a block holds column n·8 + j'.
    /// </summary>
    public static int ColumnOf(int bits, int chunk, int m, int lane)
    {
        int f = 16 / bits, blockCodes = 8 * (32 / bits);
        int j = lane >> 1, n = (lane & 1) * f + m;
        return chunk * 2 * blockCodes + (j >> 3) * blockCodes + n * 8 + (j & 7);
    }

    public static void Arrange(ReadOnlySpan<short> q /* [in] natural */, int bits, Span<short> arranged /* [in] */)
    {
        int f = 16 / bits, chunkCodes = ChunkCodes(bits);
        for (int c = 0; c < q.Length / chunkCodes; c++)
            for (int m = 0; m < f; m++)
                for (int lane = 0; lane < 32; lane++)
                    arranged[c * chunkCodes + m * 32 + lane] = q[ColumnOf(bits, c, m, lane)];
    }

    /// <summary>The formula in f64 from natural-order activations: y[o] = Σ_g s·xs·(Σ_k q·xq) − s·z·Σx̃.</summary>
    public static void Reference(in PackedRows w, ActivationsI16 x, Span<float> y)
    {
        for (int o = 0; o < w.Out; o++) y[o] = (float)ReferenceRow(w, x, o);
    }

    static double ReferenceRow(in PackedRows w, ActivationsI16 x, int o)
    {
        double total = 0;
        for (int g = 0; g < w.Groups; g++)
        {
            long dot = 0;
            for (int k = g * w.GroupLength, e = k + w.GroupLength; k < e; k++) dot += (long)w.Code(o, k) * x.Q[k];
            int gi = o * w.Groups + g;
            total += (double)w.Scales[gi] * x.Scale[g] * dot - (double)w.Scales[gi] * w.Zeros[gi] * x.Sum[g];
        }
        return total;
    }

    /// <summary>Quantizes x, then runs all rows on the kernel threads; <see cref="Supports"/> must hold.</summary>
    public static void Run(in PackedRows w, ReadOnlySpan<float> x /* [in] */, Span<float> y /* [out] */)
    {
        if (!Supports(w)) throw new InvalidOperationException($"GemvQxI16 does not apply to {w.Bits}-bit g{w.GroupLength}");
        var a = Scratch(w.In, w.Groups);
        a.Quantize(x, w.GroupLength);
        Arrange(a.Q, w.Bits, a.Arranged);
        fixed (short* px = a.Arranged)
        fixed (float* py = y)
        {
            short* xp = px; float* yp = py;
            var wr = w;
            KernelThreads.For(w.Out, 4, (r0, r1) =>
            {
                int o = r0;
                for (; o + 4 <= r1; o += 4) Rows4(wr, xp, a.Scale, a.Sum, yp, o);
                for (; o < r1; o++) yp[o] = (float)ReferenceRow(wr, a, o);
            }, w.In);
        }
    }

    [ThreadStatic] static ActivationsI16? _scratch;

    static ActivationsI16 Scratch(int inFeatures, int groups)
    {
        var s = _scratch;
        if (s is null || s.Q.Length != inFeatures || s.Scale.Length != groups) _scratch = s = new ActivationsI16(inFeatures, groups);
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Rows4(in PackedRows w, short* x /* arranged */, float[] xscale, float[] xsum, float* y, int o)
    {
        int bits = w.Bits, f = 16 / bits, chunkCodes = ChunkCodes(bits), chunksPerGroup = w.GroupLength / chunkCodes;
        var mask = Vector512.Create((ushort)((1 << bits) - 1));
        long wl = w.WordsLo;
        uint* l0 = w.Lo + o * wl, l1 = l0 + wl, l2 = l1 + wl, l3 = l2 + wl;
        float* s0 = w.Scales + (long)o * w.Groups, z0 = w.Zeros + (long)o * w.Groups;
        int groups = w.Groups;
        Vector512<float> t0 = default, t1 = default, t2 = default, t3 = default;
        double zt0 = 0, zt1 = 0, zt2 = 0, zt3 = 0;
        int c = 0;
        for (int g = 0; g < groups; g++)
        {
            Vector512<int> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int ce = c + chunksPerGroup; c < ce; c++)
            {
                int off = c * ChunkWords;
                var w0 = Vector512.Load(l0 + off).AsUInt16(); var w1 = Vector512.Load(l1 + off).AsUInt16();
                var w2 = Vector512.Load(l2 + off).AsUInt16(); var w3 = Vector512.Load(l3 + off).AsUInt16();
                short* xc = x + (long)c * chunkCodes;
                for (int m = 0; m < f; m++)
                {
                    var xv = Vector512.Load(xc + m * 32);
                    byte sh = (byte)(bits * m);
                    // The top field needs no mask, the bottom one no shift; the JIT folds a zero shift.
                    a0 += Avx512BW.MultiplyAddAdjacent((Vector512.ShiftRightLogical(w0, sh) & mask).AsInt16(), xv);
                    a1 += Avx512BW.MultiplyAddAdjacent((Vector512.ShiftRightLogical(w1, sh) & mask).AsInt16(), xv);
                    a2 += Avx512BW.MultiplyAddAdjacent((Vector512.ShiftRightLogical(w2, sh) & mask).AsInt16(), xv);
                    a3 += Avx512BW.MultiplyAddAdjacent((Vector512.ShiftRightLogical(w3, sh) & mask).AsInt16(), xv);
                }
            }
            float xs = xscale[g];
            long g0 = g, g1 = g0 + groups, g2 = g1 + groups, g3 = g2 + groups;
            t0 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(a0), Vector512.Create(s0[g0] * xs), t0);
            t1 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(a1), Vector512.Create(s0[g1] * xs), t1);
            t2 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(a2), Vector512.Create(s0[g2] * xs), t2);
            t3 = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(a3), Vector512.Create(s0[g3] * xs), t3);
            float xg = xsum[g];
            zt0 += s0[g0] * z0[g0] * xg;
            zt1 += s0[g1] * z0[g1] * xg;
            zt2 += s0[g2] * z0[g2] * xg;
            zt3 += s0[g3] * z0[g3] * xg;
        }
        y[o] = (float)(Vector512.Sum(t0) - zt0);
        y[o + 1] = (float)(Vector512.Sum(t1) - zt1);
        y[o + 2] = (float)(Vector512.Sum(t2) - zt2);
        y[o + 3] = (float)(Vector512.Sum(t3) - zt3);
    }
}
