using System.Runtime.Intrinsics;

namespace QuantReason.Kernels;

/// <summary>
/// Activations of several tokens rounded to integers once per token and group, the operand <see cref="GemmQxI8"/>
/// multiplies packed weight codes with: x̂[t,k] = xs[t,a]·x̃[t,k] for k in activation group a, xs = max_a|x| / M,
/// x̃ = round(x / xs) ∈ [−M, M], and the exact integer group sums S[t,a] = Σ_{k∈a} x̃[t,k] (the zero points' factor).
/// One plane: int8, M = 127, |x − x̂| ≤ xs/2 = max_a|x|/254. Two planes: 16-bit x̃ = 256·hi + lo split into two signed
/// bytes (as <see cref="GemvQ4I16"/>), M = 32639, |x − x̂| ≤ max_a|x|/65278: the weight-only formats use this one so
/// their results stay those of the unquantized activations (the study measures weight quantization, not this).
/// </summary>
/// <remarks>
/// The codes are stored in the lane order of the weight width's packed words (<see cref="Column"/>), so a kernel
/// broadcasts 16 consecutive values against four packed words per row without shuffling either operand.
/// </remarks>
public sealed class IntActivations
{
    public const int MaxInt8 = 127, MaxInt16 = GemvQ4I16.MaxInt;

    public int Tokens { get; }
    public int In { get; }
    /// <summary>Input channels per activation group (consecutive, a multiple of the weight width's packed block).</summary>
    public int GroupLength { get; }
    public int Groups => In / GroupLength;
    /// <summary>1: int8; 2: 16-bit as a high and a low signed byte plane.</summary>
    public int Planes { get; }
    /// <summary>The weight width whose lane order the codes follow.</summary>
    public int Bits { get; }
    /// <summary>In rounded up to whole packed chunks (the padding codes are 0).</summary>
    public int PaddedIn { get; }
    public int MaxInt => Planes == 1 ? MaxInt8 : MaxInt16;

    /// <summary>The permutation x was read through (act-order weights' stored column order), null for x as given: what
    /// another weight must share to reuse these activations.</summary>
    public int[]? ColumnOrder { get; internal set; }

    /// <summary>[tokens, paddedIn] x̃ as int16 in lane order (the 512-bit <c>vpmaddwd</c> path reads it as is).</summary>
    public short[] Wide { get; }
    /// <summary>[tokens, groups] xs.</summary>
    public float[] Scales { get; }
    /// <summary>[tokens, groups] Σ x̃, exact.</summary>
    public int[] Sums { get; }

    sbyte[]? _codes;

    /// <summary>[tokens, planes, paddedIn] x̃ as signed bytes in lane order (int8, or 16 bits as a high plane then a low
    /// plane, x̃ = 256·hi + lo): the operand of the byte paths, built from <see cref="Wide"/> once per object.</summary>
    public sbyte[] Codes => _codes ??= BuildCodes();

    /// <param name="zeroed">false when the caller writes every element of <see cref="Wide"/>, padding included: a
    /// prefill's activations are megabytes, and zeroing fresh ones costs as much as rounding them.</param>
    IntActivations(int tokens, int inFeatures, int groupLength, int planes, int bits, bool zeroed)
    {
        if (planes is not (1 or 2)) throw new QuantReasonException($"activation planes must be 1 (int8) or 2 (16-bit), not {planes}");
        if (groupLength <= 0 || inFeatures % groupLength != 0 || groupLength % GemmQxI8.BlockColumns(bits) != 0)
            throw new QuantReasonException($"activation group {groupLength} must divide in_features {inFeatures} and be a multiple of {GemmQxI8.BlockColumns(bits)} for {bits}-bit weights");
        // 256·Σhi·q must stay within int32: GroupLength/4 products of at most 255·127 per lane
        if (planes == 2 && groupLength > 1024)
            throw new QuantReasonException($"16-bit activation groups are at most 1024 channels, not {groupLength}");
        Tokens = tokens; In = inFeatures; GroupLength = groupLength; Planes = planes; Bits = bits;
        int c = GemmQxI8.ChunkColumns(bits);
        PaddedIn = (inFeatures + c - 1) / c * c;
        Wide = zeroed ? new short[tokens * PaddedIn] : GC.AllocateUninitializedArray<short>(tokens * PaddedIn);
        Scales = new float[tokens * Groups];
        Sums = new int[tokens * Groups];
    }

    sbyte[] BuildCodes()
    {
        var codes = GC.AllocateUninitializedArray<sbyte>(Tokens * Planes * PaddedIn);
        for (int t = 0; t < Tokens; t++)
        {
            var src = Wide.AsSpan(t * PaddedIn, PaddedIn);
            var hi = codes.AsSpan(t * Planes * PaddedIn, PaddedIn);
            if (Planes == 1)
                for (int i = 0; i < PaddedIn; i++) hi[i] = (sbyte)src[i];
            else
            {
                var lo = codes.AsSpan(t * Planes * PaddedIn + PaddedIn, PaddedIn);
                for (int i = 0; i < PaddedIn; i++)
                {
                    sbyte l = (sbyte)src[i];
                    lo[i] = l;
                    hi[i] = (sbyte)((src[i] - l) >> 8);
                }
            }
        }
        return codes;
    }

    /// <summary>Column, within its chunk of <see cref="GemmQxI8.ChunkColumns"/>, of the code at lane position
    /// <paramref name="pos"/>: quarter q (packed words 4q..4q+3), bit field p of each byte, word w, byte b hold the code of
    /// field n = b·P + p of word w, which <see cref="PackedRows"/> puts at column (w/8)·8·cpw + 8n + w mod 8.</summary>
    public static int Column(int bits, int pos)
    {
        int lb = bits == 3 ? 2 : bits, fields = 8 / lb, cpw = 32 / lb;
        int q = pos / (16 * fields), p = pos / 16 % fields, w = 4 * q + pos % 16 / 4, b = pos % 4;
        return w / 8 * 8 * cpw + 8 * (b * fields + p) + w % 8;
    }

    static readonly int[]?[] ColumnTables = new int[9][];

    /// <summary>[chunk columns] the column of each lane position (<see cref="Column"/> tabulated).</summary>
    static int[] Columns(int bits)
    {
        if (ColumnTables[bits] is { } t) return t;
        var col = new int[GemmQxI8.ChunkColumns(bits)];
        for (int i = 0; i < col.Length; i++) col[i] = Column(bits, i);
        return ColumnTables[bits] = col;
    }

    static readonly int[]?[] PositionTables = new int[9][];

    /// <summary>[chunk columns] the lane position of each column (the inverse of <see cref="Column"/>).</summary>
    static int[] Positions(int bits)
    {
        if (PositionTables[bits] is { } t) return t;
        var pos = new int[GemmQxI8.ChunkColumns(bits)];
        for (int i = 0; i < pos.Length; i++) pos[Column(bits, i)] = i;
        return PositionTables[bits] = pos;
    }

    /// <summary>Rounds x [tokens, in] per token and group of <paramref name="groupLength"/>: per group the scale, then
    /// x̃ = round-half-even(x·(M/max)) clamped to ±M in column order with vectors (and the exact sum), then one gather
    /// into lane order.</summary>
    public static IntActivations Quantize(ReadOnlySpan<float> x, int tokens, int inFeatures, int groupLength, int planes, int bits)
    {
        var a = new IntActivations(tokens, inFeatures, groupLength, planes, bits, zeroed: false);
        int m = a.MaxInt, gl = groupLength;
        var cols = Columns(bits);
        int c = cols.Length;
        var v = new short[a.PaddedIn]; // [paddedIn] x̃ of one token in column order (padding 0)
        for (int t = 0; t < tokens; t++)
        {
            var xt = x.Slice(t * inFeatures, inFeatures);
            for (int g = 0; g < a.Groups; g++)
            {
                var xg = xt.Slice(g * gl, gl);
                float max = MathF.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(xg));
                a.Scales[t * a.Groups + g] = max / m;
                a.Sums[t * a.Groups + g] = Round(xg, max == 0 ? 0 : m / max, m, v.AsSpan(g * gl, gl));
            }
            var dst = a.Wide.AsSpan(t * a.PaddedIn, a.PaddedIn);
            for (int k0 = 0; k0 < a.PaddedIn; k0 += c)
                for (int i = 0; i < c; i++) dst[k0 + i] = v[k0 + cols[i]];
        }
        return a;
    }

    /// <summary>dst = clamp(round-half-even(x·inv), ±m) as int16; returns Σ dst.</summary>
    static int Round(ReadOnlySpan<float> x, float inv, int m, Span<short> dst)
    {
        int i = 0, sum = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vinv = Vector512.Create(inv);
            Vector512<int> lo = Vector512.Create(-m), hi = Vector512.Create(m), acc = default;
            for (; i + 16 <= x.Length; i += 16)
            {
                var r = Vector512.Clamp(Vector512.ConvertToInt32(Vector512.Round(Vector512.Create(x.Slice(i, 16)) * vinv)), lo, hi);
                acc += r;
                Vector256.Narrow(r.GetLower(), r.GetUpper()).CopyTo(dst.Slice(i, 16));
            }
            sum = Vector512.Sum(acc);
        }
        for (; i < x.Length; i++)
        {
            int r = (int)Math.Clamp(MathF.Round(x[i] * inv), -m, m);
            sum += r;
            dst[i] = (short)r;
        }
        return sum;
    }

    /// <summary>Activations another component already rounded to int8 (codes [tokens, in] in column order, in
    /// [−127, 127], scales [tokens, in/groupLength]), arranged for <paramref name="bits"/>-bit weights.</summary>
    public static IntActivations FromInt8(ReadOnlySpan<sbyte> codes, ReadOnlySpan<float> scales, int tokens, int inFeatures, int groupLength, int bits)
    {
        var a = new IntActivations(tokens, inFeatures, groupLength, 1, bits, zeroed: true);
        if (codes.Length != tokens * inFeatures || scales.Length != tokens * a.Groups)
            throw new QuantReasonException($"int8 activations have {codes.Length} codes / {scales.Length} scales, expected [{tokens}, {inFeatures}] / [{tokens}, {a.Groups}]");
        var pos = Positions(bits);
        int c = pos.Length;
        for (int t = 0; t < tokens; t++)
            for (int k = 0; k < inFeatures; k++)
            {
                sbyte v = codes[t * inFeatures + k];
                if (v == sbyte.MinValue) throw new QuantReasonException($"int8 activation code −128 at token {t}, channel {k} is outside [−127, 127]");
                a.Wide[t * a.PaddedIn + k / c * c + pos[k % c]] = v;
                a.Sums[t * a.Groups + k / groupLength] += v;
            }
        scales.CopyTo(a.Scales);
        return a;
    }

    /// <summary>x̃[t, k] (the definition the kernels' lane order is tested against).</summary>
    public int Value(int t, int k)
    {
        int c = GemmQxI8.ChunkColumns(Bits);
        return Wide[t * PaddedIn + k / c * c + Positions(Bits)[k % c]];
    }

    /// <summary>x̂[t, k] = xs·x̃.</summary>
    public float Dequantized(int t, int k) => Scales[t * Groups + k / GroupLength] * Value(t, k);
}
