using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using QuantReason.Kernels;
using QuantReason.Runtime;
using QuantReason.Tensors;
using QuantReason.Models;

namespace QuantReason.Weights;

/// <summary>
/// A dense weight [out, in] kept in its checkpoint precision: bf16 stays bf16 (half the bytes to stream per token) and is
/// widened inside the kernel, repacked once into the streaming layout of <see cref="PackedBF16"/>; f32 stays f32. f16 is
/// widened to f32 once at load: no f16 kernel is worth its code here. Storage is pinned (and on huge pages where the OS
/// allows), so kernels take raw pointers without per-call pinning.
/// </summary>
public sealed unsafe class DenseLinear : ILinearWeight, IStreamedWeight
{
    public int InFeatures { get; }
    public int OutFeatures { get; }
    public DType Storage { get; }
    readonly float[]? _f32;   // [out, in] when Storage is F32
    readonly PackedBF16? _bf16; // [out, in] when Storage is BF16

    public string Format => Storage == DType.BF16 ? "bf16" : "f32";
    public long ByteSize => _bf16?.ByteSize ?? (long)InFeatures * OutFeatures * 4;

    public IReadOnlyList<(nint Address, long Bytes)> StreamedMemory =>
        [_bf16?.Memory ?? ((nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_f32!)), ByteSize)];

    DenseLinear(int outF, int inF, float[]? f32, PackedBF16? bf16)
    {
        OutFeatures = outF; InFeatures = inF; _f32 = f32; _bf16 = bf16;
        Storage = bf16 is not null ? DType.BF16 : DType.F32;
    }

    public static DenseLinear FromF32(float[] w, int outF, int inF)
    {
        var a = WeightMemory.AllocatePinned<float>(w.Length);
        w.CopyTo(a, 0);
        return new DenseLinear(outF, inF, a, null);
    }

    public static DenseLinear FromBF16(ReadOnlySpan<ushort> w, int outF, int inF) =>
        new(outF, inF, null, PackedBF16.Pack(w, outF, inF));

    /// <summary>Loads a tensor of a checkpoint, checking its shape against [out, in].</summary>
    public static DenseLinear Load(Checkpoint ck, string name, int outF, int inF)
    {
        var file = ck.FileOf(name);
        var info = file.Info(name);
        file.CheckShape(info, [outF, inF]);
        return info.DType switch
        {
            DType.BF16 => FromBF16(MemoryMarshal.Cast<byte, ushort>(file.Bytes(name)), outF, inF),
            DType.F32 or DType.F16 => FromF32(file.ReadF32(name), outF, inF),
            _ => throw new QuantReasonException($"unsupported weight dtype {info.DType} (expected F32, F16 or BF16)", $"{ck.Directory}: {name}"),
        };
    }

    float* F32Ptr => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_f32!));

    public void Forward(ReadOnlySpan<float> x, Span<float> y, int tokens)
    {
        if (x.Length < tokens * InFeatures || y.Length < tokens * OutFeatures) throw new ArgumentException("buffer too small");
        fixed (float* xp = x)
        fixed (float* yp = y)
        {
            if (_bf16 is not null) _bf16.Forward(xp, tokens, yp);
            else MatMulF32F32.Forward(F32Ptr, OutFeatures, InFeatures, xp, tokens, yp);
        }
    }

    /// <summary>Row <paramref name="row"/> widened to f32: the embedding lookup.</summary>
    public void CopyRow(int row, Span<float> dst)
    {
        if ((uint)row >= (uint)OutFeatures) throw new QuantReasonException($"token id {row} is outside the vocabulary of {OutFeatures}");
        if (Storage == DType.F32) _f32.AsSpan(row * InFeatures, InFeatures).CopyTo(dst);
        else _bf16!.Row(row, dst);
    }

    public float[] ToF32()
    {
        if (Storage == DType.F32) return (float[])_f32!.Clone();
        var w = _bf16!.Unpack();
        var r = new float[w.Length];
        for (int i = 0; i < r.Length; i++) r[i] = DTypes.BF16ToF32(w[i]);
        return r;
    }
}
