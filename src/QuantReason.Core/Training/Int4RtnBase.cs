using QuantReason.Kernels;
using QuantReason.Weights;

namespace QuantReason.Training;

/// <summary>
/// The trainer's own frozen QLoRA base until the quantizers land: int4 symmetric round-to-nearest, one f32 scale per
/// group of inputs, two codes packed per byte (low nibble first). The forward of a QLoRA linear uses exactly
/// <see cref="Dequantize"/> of this, and no gradient ever reaches it. One frozen base among any the checkpoints hold
/// (<see cref="ILinearWeight"/>).
/// </summary>
public sealed class Int4RtnBase : ILinearWeight
{
    public byte[] Packed { get; }   // [rows, cols/2] two's-complement nibbles
    public float[] Scales { get; }  // [rows, groups]
    public int Rows { get; }
    public int Cols { get; }
    public int GroupSize { get; }

    Int4RtnBase(byte[] packed, float[] scales, int rows, int cols, int groupSize)
    {
        Packed = packed; Scales = scales; Rows = rows; Cols = cols; GroupSize = groupSize;
    }

    public static Int4RtnBase Quantize(float[] w, int rows, int cols, int groupSize)
    {
        var q = FakeQuantizer.Quantize(w, rows, cols, new FakeQuantOptions(4, groupSize));
        var packed = new byte[(rows * cols + 1) / 2];
        for (int i = 0; i < q.Codes.Length; i++)
            packed[i >> 1] |= (byte)((q.Codes[i] & 0xF) << ((i & 1) * 4));
        return new Int4RtnBase(packed, q.Scales, rows, cols, groupSize);
    }

    public int InFeatures => Cols;
    public int OutFeatures => Rows;
    public string Format => $"int4_rtn_g{GroupSize}";
    public long ByteSize => Packed.Length + 4L * Scales.Length;

    public void Forward(ReadOnlySpan<float> x /* [tokens, in] */, Span<float> y /* [tokens, out] */, int tokens) =>
        GemmF32F32.NT(tokens, Rows, Cols, x, Dequantize(), y);

    public float[] ToF32() => Dequantize();

    public float[] Dequantize()
    {
        var codes = new sbyte[Rows * Cols];
        for (int i = 0; i < codes.Length; i++)
        {
            int nib = (Packed[i >> 1] >> ((i & 1) * 4)) & 0xF;
            codes[i] = (sbyte)(nib >= 8 ? nib - 16 : nib);
        }
        return FakeQuantizer.Dequantize(new QuantizedMatrix(codes, Scales, Rows, Cols, GroupSize));
    }
}
