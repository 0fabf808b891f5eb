using System.Runtime.CompilerServices;

namespace QuantReason.Tensors;

/// <summary>Element types of checkpoint tensors, named as safetensors names them.</summary>
public enum DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, Bool }

public static class DTypes
{
    public static int SizeOf(this DType t) => t switch
    {
        DType.F64 or DType.I64 => 8,
        DType.F32 or DType.I32 => 4,
        DType.F16 or DType.BF16 or DType.I16 => 2,
        DType.I8 or DType.U8 or DType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    public static string ToSafeTensorsName(this DType t) => t.ToString().ToUpperInvariant();

    public static bool TryParseSafeTensors(string name, out DType t)
    {
        switch (name)
        {
            case "F64": t = DType.F64; return true;
            case "F32": t = DType.F32; return true;
            case "F16": t = DType.F16; return true;
            case "BF16": t = DType.BF16; return true;
            case "I64": t = DType.I64; return true;
            case "I32": t = DType.I32; return true;
            case "I16": t = DType.I16; return true;
            case "I8": t = DType.I8; return true;
            case "U8": t = DType.U8; return true;
            case "BOOL": t = DType.Bool; return true;
            default: t = default; return false;
        }
    }

    /// <summary>bf16 is the top half of an f32: widening is a shift, exact.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float BF16ToF32(ushort b) => BitConverter.Int32BitsToSingle(b << 16);

    /// <summary>Round-to-nearest-even, as PyTorch converts f32 to bf16; NaN stays NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort F32ToBF16(float f)
    {
        uint u = BitConverter.SingleToUInt32Bits(f);
        if ((u & 0x7fffffff) > 0x7f800000) return (ushort)((u >> 16) | 0x40);
        u += 0x7fff + ((u >> 16) & 1);
        return (ushort)(u >> 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float F16ToF32(ushort h) => (float)BitConverter.UInt16BitsToHalf(h);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort F32ToF16(float f) => BitConverter.HalfToUInt16Bits((Half)f);

    /// <summary>Converts raw little-endian elements of type <paramref name="t"/> to f32.</summary>
    public static void ToF32(DType t, ReadOnlySpan<byte> src, Span<float> dst)
    {
        int n = dst.Length;
        if (src.Length != n * t.SizeOf()) throw new ArgumentException("length mismatch");
        switch (t)
        {
            case DType.F32: System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(src).CopyTo(dst); break;
            case DType.BF16:
            {
                var s = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(src);
                for (int i = 0; i < n; i++) dst[i] = BF16ToF32(s[i]);
                break;
            }
            case DType.F16:
            {
                var s = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Half>(src);
                System.Numerics.Tensors.TensorPrimitives.ConvertToSingle(s, dst);
                break;
            }
            case DType.F64:
            {
                var s = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(src);
                for (int i = 0; i < n; i++) dst[i] = (float)s[i];
                break;
            }
            case DType.I64:
            {
                var s = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(src);
                for (int i = 0; i < n; i++) dst[i] = s[i];
                break;
            }
            case DType.I32:
            {
                var s = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(src);
                for (int i = 0; i < n; i++) dst[i] = s[i];
                break;
            }
            case DType.I16:
            {
                var s = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, short>(src);
                for (int i = 0; i < n; i++) dst[i] = s[i];
                break;
            }
            case DType.I8:
                for (int i = 0; i < n; i++) dst[i] = (sbyte)src[i];
                break;
            case DType.U8:
            case DType.Bool:
                for (int i = 0; i < n; i++) dst[i] = src[i];
                break;
        }
    }
}
