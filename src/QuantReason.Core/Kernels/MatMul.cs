using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace QuantReason.Kernels;

/// <summary>
/// y[t, o] = Σ_k x[t, k]·W[o, k] for a dense row-major weight W [rows, K] of any element type with a loader.
/// Work is split over output rows, so every y element is summed by one thread in a fixed order: results do not depend on
/// the thread count. Decode (one token) is bandwidth-bound and streams each weight row once; several tokens share each
/// loaded weight vector across a 4-row × 2-token register tile.
/// </summary>
public static unsafe class MatMul<TLoader, T> where TLoader : IWeightLoader<T> where T : unmanaged
{
    public static void Forward(T* w, int rows, int k, float* x, int tokens, float* y)
    {
        nint wp = (nint)w, xp = (nint)x, yp = (nint)y;
        KernelThreads.For(rows, 16, (r0, r1) =>
        {
            if (Vector256.IsHardwareAccelerated && k >= 8)
                ForwardRows((T*)wp, k, (float*)xp, tokens, (float*)yp, rows, r0, r1);
            else
                Reference((T*)wp, k, (float*)xp, tokens, (float*)yp, rows, r0, r1);
        }, workPerItem: (long)k * tokens);
    }

    /// <summary>The scalar reference every SIMD path is tested against (and the portable fallback).</summary>
    public static void Reference(T* w, int k, float* x, int tokens, float* y, int ldy, int r0, int r1)
    {
        for (int t = 0; t < tokens; t++)
            for (int r = r0; r < r1; r++)
            {
                float s = 0;
                T* wr = w + (long)r * k;
                float* xt = x + (long)t * k;
                for (int i = 0; i < k; i++) s += TLoader.Load1(wr + i) * xt[i];
                y[(long)t * ldy + r] = s;
            }
    }

    static void ForwardRows(T* w, int k, float* x, int tokens, float* y, int ldy, int r0, int r1)
    {
        int r = r0;
        for (; r + 4 <= r1; r += 4)
        {
            int t = 0;
            for (; t + 2 <= tokens; t += 2) Tile4x2(w + (long)r * k, k, x + (long)t * k, y + (long)t * ldy + r, ldy);
            for (; t < tokens; t++) Tile4x1(w + (long)r * k, k, x + (long)t * k, y + (long)t * ldy + r);
        }
        for (; r < r1; r++)
            for (int t = 0; t < tokens; t++)
                y[(long)t * ldy + r] = Dot(w + (long)r * k, x + (long)t * k, k);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static float Dot(T* w, float* x, int k)
    {
        var a0 = Vector256<float>.Zero;
        int i = 0;
        for (; i + 8 <= k; i += 8) a0 = Vector256.FusedMultiplyAdd(TLoader.Load8(w + i), Vector256.Load(x + i), a0);
        float s = Vector256.Sum(a0);
        for (; i < k; i++) s += TLoader.Load1(w + i) * x[i];
        return s;
    }

    // Four weight rows against one token, two k-steps in flight: eight independent accumulators hide FMA latency while the
    // weight stream keeps the memory bus busy.
    static void Tile4x1(T* w, int k, float* x, float* y)
    {
        T* w0 = w, w1 = w + k, w2 = w + 2L * k, w3 = w + 3L * k;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
        int i = 0;
        for (; i + 16 <= k; i += 16)
        {
            var x0 = Vector256.Load(x + i);
            var x1 = Vector256.Load(x + i + 8);
            a0 = Vector256.FusedMultiplyAdd(TLoader.Load8(w0 + i), x0, a0);
            a1 = Vector256.FusedMultiplyAdd(TLoader.Load8(w1 + i), x0, a1);
            a2 = Vector256.FusedMultiplyAdd(TLoader.Load8(w2 + i), x0, a2);
            a3 = Vector256.FusedMultiplyAdd(TLoader.Load8(w3 + i), x0, a3);
            b0 = Vector256.FusedMultiplyAdd(TLoader.Load8(w0 + i + 8), x1, b0);
            b1 = Vector256.FusedMultiplyAdd(TLoader.Load8(w1 + i + 8), x1, b1);
            b2 = Vector256.FusedMultiplyAdd(TLoader.Load8(w2 + i + 8), x1, b2);
            b3 = Vector256.FusedMultiplyAdd(TLoader.Load8(w3 + i + 8), x1, b3);
        }
        for (; i + 8 <= k; i += 8)
        {
            var x0 = Vector256.Load(x + i);
            a0 = Vector256.FusedMultiplyAdd(TLoader.Load8(w0 + i), x0, a0);
            a1 = Vector256.FusedMultiplyAdd(TLoader.Load8(w1 + i), x0, a1);
            a2 = Vector256.FusedMultiplyAdd(TLoader.Load8(w2 + i), x0, a2);
            a3 = Vector256.FusedMultiplyAdd(TLoader.Load8(w3 + i), x0, a3);
        }
        float s0 = Vector256.Sum(a0 + b0), s1 = Vector256.Sum(a1 + b1), s2 = Vector256.Sum(a2 + b2), s3 = Vector256.Sum(a3 + b3);
        for (; i < k; i++)
        {
            float xi = x[i];
            s0 += TLoader.Load1(w0 + i) * xi; s1 += TLoader.Load1(w1 + i) * xi;
            s2 += TLoader.Load1(w2 + i) * xi; s3 += TLoader.Load1(w3 + i) * xi;
        }
        y[0] = s0; y[1] = s1; y[2] = s2; y[3] = s3;
    }

    static void Tile4x2(T* w, int k, float* x, float* y, int ldy)
    {
        T* w0 = w, w1 = w + k, w2 = w + 2L * k, w3 = w + 3L * k;
        float* xa = x, xb = x + k;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
        int i = 0;
        for (; i + 8 <= k; i += 8)
        {
            var v0 = TLoader.Load8(w0 + i);
            var v1 = TLoader.Load8(w1 + i);
            var v2 = TLoader.Load8(w2 + i);
            var v3 = TLoader.Load8(w3 + i);
            var x0 = Vector256.Load(xa + i);
            a0 = Vector256.FusedMultiplyAdd(v0, x0, a0);
            a1 = Vector256.FusedMultiplyAdd(v1, x0, a1);
            a2 = Vector256.FusedMultiplyAdd(v2, x0, a2);
            a3 = Vector256.FusedMultiplyAdd(v3, x0, a3);
            var x1 = Vector256.Load(xb + i);
            b0 = Vector256.FusedMultiplyAdd(v0, x1, b0);
            b1 = Vector256.FusedMultiplyAdd(v1, x1, b1);
            b2 = Vector256.FusedMultiplyAdd(v2, x1, b2);
            b3 = Vector256.FusedMultiplyAdd(v3, x1, b3);
        }
        float s0 = Vector256.Sum(a0), s1 = Vector256.Sum(a1), s2 = Vector256.Sum(a2), s3 = Vector256.Sum(a3);
        float t0 = Vector256.Sum(b0), t1 = Vector256.Sum(b1), t2 = Vector256.Sum(b2), t3 = Vector256.Sum(b3);
        for (; i < k; i++)
        {
            float xi = xa[i], xj = xb[i];
            float u0 = TLoader.Load1(w0 + i), u1 = TLoader.Load1(w1 + i), u2 = TLoader.Load1(w2 + i), u3 = TLoader.Load1(w3 + i);
            s0 += u0 * xi; s1 += u1 * xi; s2 += u2 * xi; s3 += u3 * xi;
            t0 += u0 * xj; t1 += u1 * xj; t2 += u2 * xj; t3 += u3 * xj;
        }
        y[0] = s0; y[1] = s1; y[2] = s2; y[3] = s3;
        y[ldy] = t0; y[ldy + 1] = t1; y[ldy + 2] = t2; y[ldy + 3] = t3;
    }
}
