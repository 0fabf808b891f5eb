using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using QuantReason.Kernels;
using QuantReason.Runtime;

namespace QuantReason.Quantization;

/// <summary>
/// A linear weight stored as packed 2/3/4/8-bit group codes (<see cref="PackedCodes"/> layout) with f32 scales and zeros.
/// Act-order weights whose g_idx is not sequential keep their columns in group order (<see cref="Perm"/>: stored column
/// p is input channel Perm[p]) and permute x once per token, so every group is a contiguous run for the kernel.
/// </summary>
public sealed unsafe class QuantizedLinear : IQuantizedWeight
{
    public QuantFormat Quant { get; }
    public int InFeatures { get; }
    public int OutFeatures { get; }
    public string Format => Quant.Name;
    public int GroupLength { get; }
    public int Groups => InFeatures / GroupLength;

    readonly uint[] _lo;      // [out, wordsLo]
    readonly uint[] _hi;      // [out, wordsHi], 3-bit only
    readonly int _wordsLo, _wordsHi;
    readonly float[] _scales; // [out, groups]
    readonly float[] _zeros;  // [out, groups]

    /// <summary>Stored column p holds input channel Perm[p]; null when columns are in input order.</summary>
    public int[]? Perm { get; }

    public long ByteSize => 4L * (_lo.Length + _hi.Length + _scales.Length + (Quant.Symmetric ? 0 : _zeros.Length)) + 4L * (Perm?.Length ?? 0);

    QuantizedLinear(QuantFormat f, int outF, int inF, int gl, uint[] lo, int wl, uint[] hi, int wh, float[] s, float[] z, int[]? perm)
    {
        Quant = f; OutFeatures = outF; InFeatures = inF; GroupLength = gl;
        _lo = lo; _wordsLo = wl; _hi = hi; _wordsHi = wh; _scales = s; _zeros = z; Perm = perm;
    }

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
            perm = Enumerable.Range(0, inF).OrderBy(k => t.GIdx[k]).ThenBy(k => k).ToArray();
            for (int p = 0; p < inF; p++)
                if (t.GIdx[perm[p]] != p / gl)
                    throw new QuantReasonException($"g_idx does not assign exactly {gl} input channels to each group", layer);
        }
        var planes = PackedCodes.Planes(f.Bits);
        int wl = PackedCodes.WordsPerRow(inF, planes[0]);
        int wh = planes.Length > 1 ? PackedCodes.WordsPerRow(inF, planes[1]) : 0;
        // Pinned once so the kernels get raw pointers without pinning per call (decode calls this per token).
        var lo = WeightMemory.AllocatePinned<uint>((long)outF * wl); // huge pages where the OS allows
        var hi = WeightMemory.AllocatePinned<uint>((long)outF * wh);
        Array.Clear(lo);
        Array.Clear(hi);
        var row = new byte[inF];
        for (int o = 0; o < outF; o++)
        {
            var src = t.Codes.AsSpan(o * inF, inF);
            if (perm is null) src.CopyTo(row);
            else for (int p = 0; p < inF; p++) row[p] = src[perm[p]];
            PackedCodes.PackRow(row, planes[0], 0, lo.AsSpan(o * wl, wl));
            if (wh > 0) PackedCodes.PackRow(row, planes[1], planes[0], hi.AsSpan(o * wh, wh));
        }
        var scales = GC.AllocateArray<float>(t.Scales.Length, pinned: true);
        var zeros = GC.AllocateArray<float>(t.Zeros.Length, pinned: true);
        t.Scales.CopyTo(scales, 0);
        t.Zeros.CopyTo(zeros, 0);
        return new QuantizedLinear(f, outF, inF, gl, lo, wl, hi, wh, scales, zeros, perm);
    }

    /// <summary>The plain codes, scales, zeros and g_idx back (the exact inverse of <see cref="Pack"/>).</summary>
    public QuantizedTensor Unpack()
    {
        var planes = PackedCodes.Planes(Quant.Bits);
        var codes = new byte[(long)OutFeatures * InFeatures];
        var row = new byte[InFeatures];
        for (int o = 0; o < OutFeatures; o++)
        {
            Array.Clear(row);
            PackedCodes.UnpackRow(_lo.AsSpan(o * _wordsLo, _wordsLo), planes[0], 0, row);
            if (_wordsHi > 0) PackedCodes.UnpackRow(_hi.AsSpan(o * _wordsHi, _wordsHi), planes[1], planes[0], row);
            var dst = codes.AsSpan(o * InFeatures, InFeatures);
            if (Perm is null) row.CopyTo(dst);
            else for (int p = 0; p < InFeatures; p++) dst[Perm[p]] = row[p];
        }
        var gidx = new int[InFeatures];
        for (int p = 0; p < InFeatures; p++) gidx[Perm?[p] ?? p] = p / GroupLength;
        return new QuantizedTensor(Quant, OutFeatures, InFeatures, codes, (float[])_scales.Clone(), (float[])_zeros.Clone(), gidx);
    }

    public float[] ToF32() => Unpack().Dequantize();

    /// <summary>The kernel operands (the arrays are pinned for the object's lifetime).</summary>
    public PackedRows Rows => new(Quant.Bits, OutFeatures, InFeatures, GroupLength,
        (uint*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_lo)), _wordsLo,
        _wordsHi > 0 ? (uint*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_hi)) : null, _wordsHi,
        (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_scales)),
        (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_zeros)));

    /// <summary>x in stored column order (identity unless act-order).</summary>
    void Permute(ReadOnlySpan<float> x, Span<float> dst)
    {
        if (Perm is null) x.CopyTo(dst);
        else for (int p = 0; p < dst.Length; p++) dst[p] = x[Perm[p]];
    }

    public void Forward(ReadOnlySpan<float> x /* [tokens, in] */, Span<float> y /* [tokens, out] */, int tokens) =>
        Forward(x, y, tokens, allowSimd: true);

    public void Forward(ReadOnlySpan<float> x, Span<float> y, int tokens, bool allowSimd)
    {
        if (x.Length < (long)tokens * InFeatures || y.Length < (long)tokens * OutFeatures)
            throw new QuantReasonException($"x/y too short for {tokens} tokens", Format);
        ReadOnlySpan<float> xs = x.Slice(0, tokens * InFeatures);
        if (Perm is not null)
        {
            var xp = new float[(long)tokens * InFeatures]; // [tokens, in] in stored column order
            for (int t = 0; t < tokens; t++) Permute(x.Slice(t * InFeatures, InFeatures), xp.AsSpan(t * InFeatures, InFeatures));
            xs = xp;
        }
        if (tokens == 1) GemvQxF32.Run(Rows, xs, y.Slice(0, OutFeatures), allowSimd);
        else GemmQxF32.Run(Rows, xs, y.Slice(0, tokens * OutFeatures), tokens, allowSimd);
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
