using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace QuantReason.Kernels;

/// <summary>
/// Operands of the trit-plane kernel: two planes, each stored as a "+1" bit mask and a "−1" bit mask in the 1-bit
/// <see cref="Quantization.PackedCodes"/> layout (code e of a 256-code block: word e % 8, bit e / 8), and per
/// row-group α₁, α₂.
/// </summary>
public readonly unsafe struct TritRows
{
    public readonly int Out, In, GroupLength, Groups, Words;
    public readonly uint* Plus1, Minus1, Plus2, Minus2; // each [out, Words]
    public readonly float* Alpha1, Alpha2;              // each [out, groups]

    public TritRows(int outFeatures, int inFeatures, int groupLength, int words, uint* p1, uint* m1, uint* p2, uint* m2, float* a1, float* a2)
    {
        Out = outFeatures; In = inFeatures; GroupLength = groupLength; Groups = inFeatures / groupLength; Words = words;
        Plus1 = p1; Minus1 = m1; Plus2 = p2; Minus2 = m2; Alpha1 = a1; Alpha2 = a2;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static int Bit(uint* plane, long row, int k) => (int)((plane[row + k / 256 * 8 + k % 8] >> (k % 256 / 8)) & 1u);

    /// <summary>The trit (−1, 0, 1) of plane 1 or 2 at row o, column k.</summary>
    public int Trit(int plane, int o, int k)
    {
        long r = (long)o * Words;
        return plane == 1 ? Bit(Plus1, r, k) - Bit(Minus1, r, k) : Bit(Plus2, r, k) - Bit(Minus2, r, k);
    }
}

/// <summary>
/// y = x·Wᵀ for W = α₁⊙T₁ + α₂⊙T₂ without a single multiply per weight: Σ_k x[k]·t[k] is the sum of x where t = +1 minus
/// the sum where t = −1, then y[o] = Σ_g α₁·S₁ + α₂·S₂. The AVX2 path turns each mask bit into a lane mask (shift it to
/// the sign bit, arithmetic shift back), ANDs it with x and adds or subtracts.
/// </summary>
public static unsafe class GemvTritF32
{
    public static void Reference(in TritRows w, ReadOnlySpan<float> x, Span<float> y)
    {
        for (int o = 0; o < w.Out; o++)
        {
            double acc = 0;
            for (int k = 0; k < w.In; k++)
            {
                int g = o * w.Groups + k / w.GroupLength;
                acc += (double)x[k] * (w.Alpha1[g] * w.Trit(1, o, k) + w.Alpha2[g] * w.Trit(2, o, k));
            }
            y[o] = (float)acc;
        }
    }

    public static void Run(TritRows w, ReadOnlySpan<float> x, Span<float> y, bool allowSimd = true)
    {
        bool simd = allowSimd && Avx2.IsSupported;
        fixed (float* px = x, py = y)
        {
            float* xp = px, yp = py;
            KernelThreads.For(w.Out, 1, (r0, r1) =>
            {
                for (int o = r0; o < r1; o++) yp[o] = simd ? RowAvx2(w, xp, o) : RowPortable(w, xp, o);
            }, w.In);
        }
    }

    public static float RowPortable(in TritRows w, float* x, int o)
    {
        float total = 0;
        for (int g = 0; g < w.Groups; g++)
        {
            float s1 = 0, s2 = 0;
            for (int k = g * w.GroupLength, e = k + w.GroupLength; k < e; k++)
            {
                int t1 = w.Trit(1, o, k), t2 = w.Trit(2, o, k);
                if (t1 > 0) s1 += x[k]; else if (t1 < 0) s1 -= x[k];
                if (t2 > 0) s2 += x[k]; else if (t2 < 0) s2 -= x[k];
            }
            total += w.Alpha1[(long)o * w.Groups + g] * s1 + w.Alpha2[(long)o * w.Groups + g] * s2;
        }
        return total;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> Select(uint* words, Vector128<uint> toSign, Vector256<float> x) =>
        Avx.And(Avx2.ShiftRightArithmetic(Avx2.ShiftLeftLogical(Avx.LoadVector256(words), toSign).AsInt32(), 31).AsSingle(), x);

    public static float RowAvx2(in TritRows w, float* x, int o)
    {
        long r = (long)o * w.Words;
        uint* p1 = w.Plus1 + r, m1 = w.Minus1 + r, p2 = w.Plus2 + r, m2 = w.Minus2 + r;
        int chunksPerGroup = w.GroupLength / 8, c = 0;
        var total = Vector256<float>.Zero;
        for (int g = 0; g < w.Groups; g++)
        {
            Vector256<float> s1 = default, s2 = default;
            for (int ce = c + chunksPerGroup; c < ce; c++)
            {
                int off = (c >> 5) * 8;
                var toSign = Vector128.CreateScalar((uint)(31 - (c & 31)));
                var xv = Avx.LoadVector256(x + c * 8);
                s1 = Avx.Subtract(Avx.Add(s1, Select(p1 + off, toSign, xv)), Select(m1 + off, toSign, xv));
                s2 = Avx.Subtract(Avx.Add(s2, Select(p2 + off, toSign, xv)), Select(m2 + off, toSign, xv));
            }
            long gi = (long)o * w.Groups + g;
            total = Fma.IsSupported
                ? Fma.MultiplyAdd(s2, Vector256.Create(w.Alpha2[gi]), Fma.MultiplyAdd(s1, Vector256.Create(w.Alpha1[gi]), total))
                : Avx.Add(total, Avx.Add(Avx.Multiply(s1, Vector256.Create(w.Alpha1[gi])), Avx.Multiply(s2, Vector256.Create(w.Alpha2[gi]))));
        }
        return Vector256.Sum(total);
    }
}
