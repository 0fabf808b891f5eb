using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using QuantReason.Tensors;

namespace QuantReason.Kernels;

/// <summary>
/// How a dense weight element type widens to f32. The matmul kernel is generic over this, so each storage format gets its
/// own specialised machine code from one kernel source.
/// </summary>
public unsafe interface IWeightLoader<T> where T : unmanaged
{
    static abstract float Load1(T* p);
    static abstract Vector256<float> Load8(T* p);
}

public readonly unsafe struct F32Loader : IWeightLoader<float>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load1(float* p) => *p;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load8(float* p) => Vector256.Load(p);
}

/// <summary>bf16 → f32 is a zero-extension and a 16-bit shift: exact and cheap enough to do on the fly from memory.</summary>
public readonly unsafe struct BF16Loader : IWeightLoader<ushort>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load1(ushort* p) => DTypes.BF16ToF32(*p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load8(ushort* p)
    {
        if (Avx2.IsSupported)
            return Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(p), 16).AsSingle();
        var (lo, hi) = Vector128.Widen(Vector128.Load(p));
        return Vector256.Create(Vector128.ShiftLeft(lo, 16), Vector128.ShiftLeft(hi, 16)).AsSingle();
    }
}
