using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using QuantReason.Kernels;
using QuantReason.Runtime;
using QuantReason.Quantization;

namespace QuantReason.Weights;

/// <summary>
/// A linear weight stored as packed 2/3/4/8-bit group codes (<see cref="PackedCodes"/> layout) with per-group scales and
/// zeros: fp16 when every one of them is an fp16 number (GPTQ and AWQ checkpoints store fp16: kept bit for bit, 5.6 % fewer
/// bytes to stream at 4 bits g128), else f32 (RTN and GPTQ computed here).
/// Act-order weights whose g_idx is not sequential keep their columns in group order (<see cref="Perm"/>: stored column
/// p is input channel Perm[p]) and permute x once per token, so every group is a contiguous run for the kernel.
/// </summary>
public sealed unsafe class QuantizedLinear : IQuantizedWeight, IStreamedWeight
{
    public QuantFormat Quant { get; }
    public int InFeatures { get; }
    public int OutFeatures { get; }
    public string Format => Quant.Name;
    public int GroupLength { get; }
    public int Groups => InFeatures / GroupLength;

    readonly uint[] _lo;      // [⌈out/4⌉, wordsLo/16, 4, 16] from _loAt on: tiled (PackedRows), 64-byte aligned
    readonly uint[] _hi;      // [⌈out/4⌉, wordsHi/16, 4, 16] from _hiAt on, 3-bit only
    readonly int _loAt, _hiAt, _wordsLo, _wordsHi;
    readonly float[]? _params; // [⌈out/4⌉, groups, 2, 4] from _paramsAt on: per 4 rows and group, 4 scales then 4 zeros
    readonly ushort[]? _half;  // the same as fp16 bits, when lossless (then _params is null)
    readonly int _paramsAt;

    /// <summary>Whether scales and zeros are stored as fp16.</summary>
    public bool HalfParams => _half is not null;

    /// <summary>Stored column p holds input channel Perm[p]; null when columns are in input order.</summary>
    public int[]? Perm { get; }

    public long ByteSize => 4L * (Lo.Length + Hi.Length) + ParamBytes + 4L * (Perm?.Length ?? 0);

    long ParamCount => (long)PackedRows.PaddedRows(OutFeatures) * Groups * 2;
    long ParamBytes => ParamCount * (_half is null ? 4 : 2);

    QuantizedLinear(QuantFormat f, int outF, int inF, int gl, (uint[], int) lo, int wl, (uint[], int) hi, int wh,
        float[]? parameters, ushort[]? half, int paramsAt, int[]? perm)
    {
        Quant = f; OutFeatures = outF; InFeatures = inF; GroupLength = gl;
        (_lo, _loAt) = lo; _wordsLo = wl; (_hi, _hiAt) = hi; _wordsHi = wh; _params = parameters; _half = half; _paramsAt = paramsAt; Perm = perm;
    }

    public IReadOnlyList<(nint Address, long Bytes)> StreamedMemory
    {
        get
        {
            var r = Rows;
            var list = new List<(nint, long)> { ((nint)r.Lo, 4L * Lo.Length), (r.Params is not null ? (nint)r.Params : (nint)r.HalfParams, ParamBytes) };
            if (Hi.Length > 0) list.Add(((nint)r.Hi, 4L * Hi.Length));
            if (Perm is not null) list.Add(((nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(Perm)), 4L * Perm.Length));
            return list;
        }
    }

    Span<uint> Lo => _lo.AsSpan(_loAt, PackedRows.PaddedRows(OutFeatures) * _wordsLo);
    Span<uint> Hi => _hi.AsSpan(_hiAt, PackedRows.PaddedRows(OutFeatures) * _wordsHi);

    /// <summary>Packs a quantized tensor. g_idx must put exactly GroupLength channels in each group (as RTN, GPTQ with
    /// or without act-order, and static groups all do).</summary>
    public static QuantizedLinear Pack(QuantizedTensor t, string layer = "weight")
    {
        t.Validated(layer);
        var f = t.Format;
        int outF = t.OutFeatures, inF = t.InFeatures, gl = f.GroupLength(inF), groups = inF / gl;
        if (t.GroupCount != groups)
            throw new QuantReasonException($"{t.GroupCount} groups of scales, format {f.Name} needs {groups}", layer);
        int[]? perm = null;
        bool sequential = true;
        for (int k = 0; k < inF && sequential; k++) sequential = t.GIdx[k] == k / gl;
        if (!sequential)
        {
            perm = GC.AllocateArray<int>(inF, pinned: true); // pinned: StreamedMemory hands out its address
            Enumerable.Range(0, inF).OrderBy(k => t.GIdx[k]).ThenBy(k => k).ToArray().CopyTo(perm, 0);
            for (int p = 0; p < inF; p++)
                if (t.GIdx[perm[p]] != p / gl)
                    throw new QuantReasonException($"g_idx does not assign exactly {gl} input channels to each group", layer);
        }
        var planes = PackedCodes.Planes(f.Bits);
        int wl = PackedRows.PaddedWords(PackedCodes.WordsPerRow(inF, planes[0]));
        int wh = planes.Length > 1 ? PackedRows.PaddedWords(PackedCodes.WordsPerRow(inF, planes[1])) : 0;
        int rows = PackedRows.PaddedRows(outF);
        // Pinned once so the kernels get raw pointers without pinning per call (decode calls this per token).
        var lo = WeightMemory.AllocatePinnedAligned<uint>((long)rows * wl); // [rows/4, wl/16, 4, 16]; huge pages where the OS allows
        var hi = WeightMemory.AllocatePinnedAligned<uint>((long)rows * wh); // [rows/4, wh/16, 4, 16]
        Array.Clear(lo.Array);
        Array.Clear(hi.Array);
        var row = new byte[inF];
        var words = new uint[Math.Max(wl, wh)]; // one row-major row of a plane
        for (int o = 0; o < outF; o++)
        {
            var src = t.Codes.AsSpan(o * inF, inF);
            if (perm is null) src.CopyTo(row);
            else for (int p = 0; p < inF; p++) row[p] = src[perm[p]];
            PackedCodes.PackRow(row, planes[0], 0, words.AsSpan(0, wl));
            PackedRows.ScatterRow(words.AsSpan(0, wl), lo.Array.AsSpan(lo.Offset), o, wl);
            if (wh == 0) continue;
            PackedCodes.PackRow(row, planes[1], planes[0], words.AsSpan(0, wh));
            PackedRows.ScatterRow(words.AsSpan(0, wh), hi.Array.AsSpan(hi.Offset), o, wh);
        }
        // [rows/4, groups, 2, 4] fp16 when that loses nothing (the checkpoint's own values), else f32
        bool half = IsHalf(t.Scales) && IsHalf(t.Zeros);
        long count = (long)rows * groups * 2;
        float[]? f32 = null;
        ushort[]? f16 = null;
        int at;
        if (half) { (f16, at) = WeightMemory.AllocatePinnedAligned<ushort>(count); Array.Clear(f16); }
        else { (f32, at) = WeightMemory.AllocatePinnedAligned<float>(count); Array.Clear(f32); }
        for (int o = 0; o < outF; o++)
            for (int g = 0; g < groups; g++)
            {
                int i = at + (int)PackedRows.ParamIndex(o, g, groups);
                float s = t.Scales[o * groups + g], z = t.Zeros[o * groups + g];
                if (f16 is not null)
                {
                    f16[i] = BitConverter.HalfToUInt16Bits((Half)s);
                    f16[i + PackedRows.TileRows] = BitConverter.HalfToUInt16Bits((Half)z);
                }
                else
                {
                    f32![i] = s;
                    f32[i + PackedRows.TileRows] = z;
                }
            }
        return new QuantizedLinear(f, outF, inF, gl, lo, wl, hi, wh, f32, f16, at, perm);
    }

    /// <summary>Every value a finite fp16 number, bit for bit (−0 included).</summary>
    static bool IsHalf(float[] v)
    {
        foreach (var x in v)
            if (!float.IsFinite(x) || BitConverter.SingleToInt32Bits((float)(Half)x) != BitConverter.SingleToInt32Bits(x)) return false;
        return true;
    }

    /// <summary>The plain codes, scales, zeros and g_idx back (the exact inverse of <see cref="Pack"/>).</summary>
    public QuantizedTensor Unpack()
    {
        var planes = PackedCodes.Planes(Quant.Bits);
        var codes = new byte[(long)OutFeatures * InFeatures];
        var row = new byte[InFeatures];
        var words = new uint[Math.Max(_wordsLo, _wordsHi)]; // one row-major row of a plane
        for (int o = 0; o < OutFeatures; o++)
        {
            Array.Clear(row);
            PackedRows.GatherRow(Lo, o, _wordsLo, words.AsSpan(0, _wordsLo));
            PackedCodes.UnpackRow(words.AsSpan(0, _wordsLo), planes[0], 0, row);
            if (_wordsHi > 0)
            {
                PackedRows.GatherRow(Hi, o, _wordsHi, words.AsSpan(0, _wordsHi));
                PackedCodes.UnpackRow(words.AsSpan(0, _wordsHi), planes[1], planes[0], row);
            }
            var dst = codes.AsSpan(o * InFeatures, InFeatures);
            if (Perm is null) row.CopyTo(dst);
            else for (int p = 0; p < InFeatures; p++) dst[Perm[p]] = row[p];
        }
        var gidx = new int[InFeatures];
        for (int p = 0; p < InFeatures; p++) gidx[Perm?[p] ?? p] = p / GroupLength;
        var scales = new float[OutFeatures * Groups];
        var zeros = new float[OutFeatures * Groups];
        var rows = Rows;
        for (int o = 0; o < OutFeatures; o++)
            for (int g = 0; g < Groups; g++)
            {
                scales[o * Groups + g] = rows.Scale(o, g);
                zeros[o * Groups + g] = rows.Zero(o, g);
            }
        return new QuantizedTensor(Quant, OutFeatures, InFeatures, codes, scales, zeros, gidx);
    }

    public float[] ToF32() => Unpack().Dequantize();

    /// <summary>The kernel operands (the arrays are pinned for the object's lifetime).</summary>
    public PackedRows Rows => new(Quant.Bits, OutFeatures, InFeatures, GroupLength,
        (uint*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_lo)) + _loAt, _wordsLo,
        _wordsHi > 0 ? (uint*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_hi)) + _hiAt : null, _wordsHi,
        _params is null ? null : (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_params)) + _paramsAt,
        _half is null ? null : (ushort*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_half)) + _paramsAt);

    /// <summary>x in stored column order (identity unless act-order).</summary>
    void Permute(ReadOnlySpan<float> x, Span<float> dst)
    {
        if (Perm is null) x.CopyTo(dst);
        else for (int p = 0; p < dst.Length; p++) dst[p] = x[Perm[p]];
    }

    /// <summary>From this many tokens on, the GEMM (each weight row dequantized once per call into packed panels and
    /// shared by all tokens) beats streaming the packed weights once per token: on the 1B-shaped 4-bit decode bench,
    /// batch 16 ran at 22 tok/s through the GEMM against ≈44 for a single token's GEMV, while 128-token prefill ran at
    /// 71 through the GEMM. Formats the integer kernel takes use that instead from <see cref="IntegerMinTokens"/> on.</summary>
    public const int GemmMinTokens = 32;

    /// <summary>From this many tokens on, formats <see cref="GemmQxI8"/> supports go through it (codes unpacked once per
    /// call, integer dot products with the activations rounded to 16 bits per token and group of 128). Measured on one
    /// thread in CPU time (`bench -- gemm-q`, 4-bit g128, 8192×2048, loaded machine): 17–29 GMAC/s at 2 tokens, 26–43 at
    /// 4, 42–51 at 16. A GEMV per token computes ≈65 from cache, but streams all packed weights once per token, which
    /// from DRAM is the slower part; break-even came at 2–3 tokens, and from 4 on the kernel wins.</summary>
    public const int IntegerMinTokens = 4;

    public void Forward(ReadOnlySpan<float> x /* [tokens, in] */, Span<float> y /* [tokens, out] */, int tokens) =>
        Forward(x, y, tokens, allowSimd: true);

    public void Forward(ReadOnlySpan<float> x, Span<float> y, int tokens, bool allowSimd) =>
        Forward(x, y, tokens, allowSimd, integerActivations: true);

    /// <summary>
    /// y [tokens, out] with the activations kept exactly as given (f32 kernels only): for inputs that already lie on an
    /// activation scheme's grid (W·A· runs), where the integer kernels' own 16-bit rounding per group would move them off
    /// it and the runtime would no longer compute what the trainer's fake quantization computes.
    /// </summary>
    public void ForwardExactActivations(ReadOnlySpan<float> x, Span<float> y, int tokens) =>
        Forward(x, y, tokens, allowSimd: true, integerActivations: false);

    void Forward(ReadOnlySpan<float> x, Span<float> y, int tokens, bool allowSimd, bool integerActivations)
    {
        if (x.Length < (long)tokens * InFeatures || y.Length < (long)tokens * OutFeatures)
            throw new QuantReasonException($"x/y too short for {tokens} tokens", Format);
        var rows = Rows;
        if (integerActivations && allowSimd && IntegerInput(x, tokens) is { } a)
        {
            GemmQxI8.Run(rows, a, y);
            return;
        }
        ReadOnlySpan<float> xs = x.Slice(0, tokens * InFeatures);
        if (Perm is not null)
        {
            var xp = new float[(long)tokens * InFeatures]; // [tokens, in] in stored column order
            for (int t = 0; t < tokens; t++) Permute(x.Slice(t * InFeatures, InFeatures), xp.AsSpan(t * InFeatures, InFeatures));
            xs = xp;
        }
        if (tokens >= GemmMinTokens) GemmQxF32.Run(rows, xs, y.Slice(0, tokens * OutFeatures), tokens, allowSimd);
        else
        {
            bool integer = integerActivations && allowSimd && GemvQ4I16.Supports(rows);
            for (int t = 0; t < tokens; t++)
            {
                var xt = xs.Slice(t * InFeatures, InFeatures);
                var yt = y.Slice(t * OutFeatures, OutFeatures);
                if (integer) GemvQ4I16.Run(rows, xt, yt);
                else GemvQxF32.Run(rows, xt, yt, allowSimd);
            }
        }
    }

    /// <summary>x [tokens, in] rounded per token and group for <see cref="GemmQxI8"/> with this weight (in stored
    /// column order): planes 1 = int8 (W·A8 formats), 2 = 16-bit (weight-only formats).</summary>
    public IntActivations Activations(ReadOnlySpan<float> x, int tokens, int planes, int? groupLength = null)
    {
        var rows = Rows;
        if (Perm is null)
            return IntActivations.Quantize(x.Slice(0, tokens * InFeatures), tokens, InFeatures, groupLength ?? GemmQxI8.ActivationGroup(rows), planes, Quant.Bits);
        var xp = new float[(long)tokens * InFeatures]; // [tokens, in] in stored column order
        for (int t = 0; t < tokens; t++) Permute(x.Slice(t * InFeatures, InFeatures), xp.AsSpan(t * InFeatures, InFeatures));
        return IntActivations.Quantize(xp, tokens, InFeatures, groupLength ?? GemmQxI8.ActivationGroup(rows), planes, Quant.Bits);
    }

    /// <summary>The 16-bit activations <see cref="Forward(ReadOnlySpan{float}, Span{float}, int)"/> multiplies x with
    /// through <see cref="GemmQxI8"/>, or null when it takes the f32 kernels at this many tokens. <paramref name="shared"/>,
    /// rounded from the same x for another weight (q/k/v, gate/up), is returned as is when it has this weight's lane
    /// order, groups and column order: the rounding is then done once per input rather than once per projection.</summary>
    public IntActivations? IntegerInput(ReadOnlySpan<float> x, int tokens, IntActivations? shared = null)
    {
        var rows = Rows;
        if (tokens < IntegerMinTokens || !GemmQxI8.Supports(rows)) return null;
        if (shared is not null && shared.Tokens == tokens && shared.In == InFeatures && shared.Bits == Quant.Bits && shared.Planes == 2
            && shared.GroupLength == GemmQxI8.ActivationGroup(rows) && ReferenceEquals(shared.ColumnOrder, Perm))
            return shared;
        var a = Activations(x, tokens, planes: 2);
        a.ColumnOrder = Perm;
        return a;
    }

    /// <summary>y [tokens, out] for activations already rounded to integers (<see cref="Activations"/>, or
    /// <see cref="IntActivations.FromInt8"/> over codes in stored column order).</summary>
    public void Forward(IntActivations a, Span<float> y)
    {
        if (!GemmQxI8.Supports(Rows))
            throw new QuantReasonException($"format {Format} with groups of {GroupLength} has no integer-activation kernel", Format);
        GemmQxI8.Run(Rows, a, y);
    }

    public void ForwardReference(ReadOnlySpan<float> x, Span<float> y, int tokens)
    {
        var xp = new float[InFeatures];
        for (int t = 0; t < tokens; t++)
        {
            Permute(x.Slice(t * InFeatures, InFeatures), xp);
            GemvQxF32.Reference(Rows, xp, y.Slice(t * OutFeatures, OutFeatures));
        }
    }
}
