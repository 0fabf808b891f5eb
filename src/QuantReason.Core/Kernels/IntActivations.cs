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
/// broadcasts 16 consecutive bytes against four packed words per row without shuffling either operand.
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

    /// <summary>[tokens, planes, paddedIn] in lane order; pinned.</summary>
    public sbyte[] Codes { get; }
    /// <summary>[tokens, groups] xs.</summary>
    public float[] Scales { get; }
    /// <summary>[tokens, groups] Σ x̃, exact.</summary>
    public int[] Sums { get; }

    IntActivations(int tokens, int inFeatures, int groupLength, int planes, int bits)
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
        Codes = GC.AllocateArray<sbyte>(tokens * planes * PaddedIn, pinned: true);
        Scales = new float[tokens * Groups];
        Sums = new int[tokens * Groups];
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

    static readonly int[]?[] PositionTables = new int[9][];

    /// <summary>[chunk columns] the lane position of each column (the inverse of <see cref="Column"/>).</summary>
    static int[] Positions(int bits)
    {
        if (PositionTables[bits] is { } t) return t;
        var pos = new int[GemmQxI8.ChunkColumns(bits)];
        for (int i = 0; i < pos.Length; i++) pos[Column(bits, i)] = i;
        return PositionTables[bits] = pos;
    }

    /// <summary>Rounds x [tokens, in] per token and group of <paramref name="groupLength"/>.</summary>
    public static IntActivations Quantize(ReadOnlySpan<float> x, int tokens, int inFeatures, int groupLength, int planes, int bits)
    {
        var a = new IntActivations(tokens, inFeatures, groupLength, planes, bits);
        int m = a.MaxInt, gl = groupLength;
        var pos = Positions(bits);
        int c = pos.Length;
        for (int t = 0; t < tokens; t++)
        {
            var xt = x.Slice(t * inFeatures, inFeatures);
            var dst = a.Codes.AsSpan(t * planes * a.PaddedIn, planes * a.PaddedIn);
            for (int g = 0; g < a.Groups; g++)
            {
                var xg = xt.Slice(g * gl, gl);
                float max = System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(xg);
                max = MathF.Abs(max);
                float xs = max / m, inv = max == 0 ? 0 : m / max;
                int sum = 0;
                for (int i = 0; i < gl; i++)
                {
                    int k = g * gl + i, v = (int)Math.Clamp(MathF.Round(xg[i] * inv), -m, m);
                    sum += v;
                    int at = k / c * c + pos[k % c];
                    if (planes == 1) dst[at] = (sbyte)v;
                    else
                    {
                        sbyte lo = (sbyte)v;
                        dst[at] = (sbyte)((v - lo) >> 8);
                        dst[a.PaddedIn + at] = lo;
                    }
                }
                a.Scales[t * a.Groups + g] = xs;
                a.Sums[t * a.Groups + g] = sum;
            }
        }
        return a;
    }

    /// <summary>Activations another component already rounded to int8 (codes [tokens, in] in column order, in
    /// [−127, 127], scales [tokens, in/groupLength]), arranged for <paramref name="bits"/>-bit weights.</summary>
    public static IntActivations FromInt8(ReadOnlySpan<sbyte> codes, ReadOnlySpan<float> scales, int tokens, int inFeatures, int groupLength, int bits)
    {
        var a = new IntActivations(tokens, inFeatures, groupLength, 1, bits);
        if (codes.Length != tokens * inFeatures || scales.Length != tokens * a.Groups)
            throw new QuantReasonException($"int8 activations have {codes.Length} codes / {scales.Length} scales, expected [{tokens}, {inFeatures}] / [{tokens}, {a.Groups}]");
        var pos = Positions(bits);
        int c = pos.Length;
        for (int t = 0; t < tokens; t++)
            for (int k = 0; k < inFeatures; k++)
            {
                sbyte v = codes[t * inFeatures + k];
                if (v == sbyte.MinValue) throw new QuantReasonException($"int8 activation code −128 at token {t}, channel {k} is outside [−127, 127]");
                a.Codes[t * a.PaddedIn + k / c * c + pos[k % c]] = v;
                a.Sums[t * a.Groups + k / groupLength] += v;
            }
        scales.CopyTo(a.Scales);
        return a;
    }

    /// <summary>x̃[t, k] (the definition the kernels' lane order is tested against).</summary>
    public int Value(int t, int k)
    {
        int c = GemmQxI8.ChunkColumns(Bits), at = t * Planes * PaddedIn + k / c * c + Positions(Bits)[k % c];
        return Planes == 1 ? Codes[at] : 256 * Codes[at] + Codes[at + PaddedIn];
    }

    /// <summary>x̂[t, k] = xs·x̃.</summary>
    public float Dequantized(int t, int k) => Scales[t * Groups + k / GroupLength] * Value(t, k);
}
