using QuantReason.Kernels;

namespace QuantReason.Quantization.LinAlg;

/// <summary>
/// Blocked Cholesky factorisation and triangular inverse for symmetric positive definite f32 matrices. Matrices are
/// stored in f32 like the reference's torch tensors; the small diagonal blocks are factored and inverted in f64, and the
/// O(n³) work is <see cref="GemmF32F32"/> (trailing updates L₂₂ −= L₂₁L₂₁ᵀ, block-row products for the inverse).
/// </summary>
public static unsafe class Cholesky
{
    public const int Block = 96;
    const int ColumnBlock = 480;

    /// <summary>In-place lower factor L (A = L·Lᵀ) from the lower triangle of a [n, n]; the upper triangle is zeroed.</summary>
    public static void FactorLower(float[] a, int n, string where = "cholesky")
    {
        fixed (float* pa = a)
        {
            float* A = pa;
            for (int k0 = 0; k0 < n; k0 += Block)
            {
                int nb = Math.Min(Block, n - k0);
                var d = new double[nb * nb]; // [nb, nb] diagonal block in f64
                for (int i = 0; i < nb; i++)
                    for (int j = 0; j <= i; j++) d[i * nb + j] = A[(long)(k0 + i) * n + k0 + j];
                FactorSmall(d, nb, k0, where);
                for (int i = 0; i < nb; i++)
                    for (int j = 0; j < nb; j++) A[(long)(k0 + i) * n + k0 + j] = j <= i ? (float)d[i * nb + j] : 0f;

                int r0 = k0 + nb, rows = n - r0;
                if (rows == 0) break;
                // Panel: each row x of A₂₁ solves x·L₁₁ᵀ = a (forward substitution against the f64 block).
                KernelThreads.For(rows, 1, (s, e) =>
                {
                    var x = new double[nb];
                    for (int r = s; r < e; r++)
                    {
                        float* row = A + (long)(r0 + r) * n + k0;
                        for (int j = 0; j < nb; j++)
                        {
                            double acc = row[j];
                            for (int q = 0; q < j; q++) acc -= d[j * nb + q] * x[q];
                            x[j] = acc / d[j * nb + j];
                        }
                        for (int j = 0; j < nb; j++) row[j] = (float)x[j];
                    }
                }, (long)nb * nb);
                // Trailing update of the lower triangle: A₂₂ −= A₂₁·A₂₁ᵀ.
                var a21 = a.AsSpan(r0 * n + k0); // [rows, nb], row stride n
                GemmF32F32.Multiply(false, true, rows, rows, nb, a21, n, a21, n, a.AsSpan(r0 * n + r0), n,
                    accumulate: true, alpha: -1f, triangle: Triangle.Lower);
            }
            for (int i = 0; i < n; i++)
                for (int j = i + 1; j < n; j++) A[(long)i * n + j] = 0f;
        }
    }

    static void FactorSmall(double[] d, int nb, int offset, string where)
    {
        for (int j = 0; j < nb; j++)
        {
            double diag = d[j * nb + j];
            for (int q = 0; q < j; q++) diag -= d[j * nb + q] * d[j * nb + q];
            if (!(diag > 0))
                throw new QuantReasonException($"matrix is not positive definite (pivot {offset + j} is {diag:g3}); raise the damping", where);
            double ljj = Math.Sqrt(diag);
            d[j * nb + j] = ljj;
            for (int i = j + 1; i < nb; i++)
            {
                double acc = d[i * nb + j];
                for (int q = 0; q < j; q++) acc -= d[i * nb + q] * d[j * nb + q];
                d[i * nb + j] = acc / ljj;
            }
        }
    }

    /// <summary>X = L⁻¹ for lower-triangular L [n, n], by block rows: X_ii = L_ii⁻¹ (f64), X_i,&lt;i = −X_ii·(L_i,&lt;i · X_&lt;i,&lt;i).</summary>
    public static float[] InvertLower(float[] l, int n)
    {
        var x = new float[(long)n * n];
        fixed (float* pl = l, px = x)
        {
            for (int i0 = 0; i0 < n; i0 += Block)
            {
                int nb = Math.Min(Block, n - i0);
                var d = new double[nb * nb];
                for (int i = 0; i < nb; i++)
                    for (int j = 0; j <= i; j++) d[i * nb + j] = pl[(long)(i0 + i) * n + i0 + j];
                var inv = InvertSmallLower(d, nb);
                var xii = new float[nb * nb];
                for (int i = 0; i < nb; i++)
                    for (int j = 0; j <= i; j++) px[(long)(i0 + i) * n + i0 + j] = xii[i * nb + j] = (float)inv[i * nb + j];
                if (i0 == 0) continue;
                var t = new float[nb * i0]; // [nb, i0] = L[i-block, 0:i0] · X[0:i0, 0:i0]
                // X is lower triangular: column block [j0, j0+jn) of X is zero above row j0, so its product
                // only needs L columns from j0 on — half the flops of the full product.
                for (int j0 = 0; j0 < i0; j0 += ColumnBlock)
                {
                    int jn = Math.Min(ColumnBlock, i0 - j0);
                    GemmF32F32.Multiply(false, false, nb, jn, i0 - j0, l.AsSpan(i0 * n + j0), n, x.AsSpan(j0 * n + j0), n, t.AsSpan(j0), i0);
                }
                // X[i-block, 0:i0] = −X_ii · T
                GemmF32F32.Multiply(false, false, nb, i0, nb, xii, nb, t, i0, x.AsSpan(i0 * n), n, alpha: -1f);
            }
        }
        return x;
    }

    static double[] InvertSmallLower(double[] l, int nb)
    {
        var x = new double[nb * nb];
        for (int j = 0; j < nb; j++)
        {
            x[j * nb + j] = 1.0 / l[j * nb + j];
            for (int i = j + 1; i < nb; i++)
            {
                double acc = 0;
                for (int q = j; q < i; q++) acc += l[i * nb + q] * x[q * nb + j];
                x[i * nb + j] = -acc / l[i * nb + i];
            }
        }
        return x;
    }

    /// <summary>
    /// The upper Cholesky factor U of A⁻¹ (Uᵀ·U = A⁻¹), what GPTQ calls Hinv. With J the reversal permutation, factor
    /// J·A·J = L′L′ᵀ; then A = R·Rᵀ with R = J·L′·J upper, so U = R⁻¹ = J·L′⁻¹·J: one factorisation and one triangular
    /// inverse instead of the reference's factor / invert / factor again, with the same result. With
    /// <paramref name="consume"/> a is overwritten (J·A·J in place): one [n, n] buffer less, 256 MB for a 1B model's
    /// down_proj.
    /// </summary>
    public static float[] UpperCholeskyOfInverse(float[] a, int n, string where = "cholesky", bool consume = false)
    {
        var rev = consume ? a : (float[])a.Clone();
        Reverse(rev, n);
        FactorLower(rev, n, where);
        var u = InvertLower(rev, n);
        Reverse(u, n); // U[i, j] = X[n−1−i, n−1−j]
        return u;
    }

    /// <summary>M ← J·M·J (M[i, j] ↔ M[n−1−i, n−1−j]) in place: the row-major storage read backwards.</summary>
    static void Reverse(float[] m, int n) => m.AsSpan(0, n * n).Reverse();
}
