using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

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
