using QuantReason.Weights;
namespace QuantReason.Quantization;

/// <summary>Settings of the PTQTP fit (arXiv 2509.16989): relative-change tolerance ε, iteration cap T_max, ridge range.</summary>
public sealed record PtqtpOptions(double Tolerance = 1e-4, int MaxIterations = 50, double LambdaMin = 1e-8, double LambdaMax = 1.0)
{
    public static readonly PtqtpOptions Default = new();
}

/// <summary>
/// PTQTP: each row-group w ∈ ℝ^G is approximated by α₁T₁ + α₂T₂ with T ∈ {−1,0,1}^G, fitted by alternating closed-form
/// updates — fix T, solve the 2×2 ridge least squares (TᵀT + λI)α = Tᵀw; fix α, pick for each weight the (t₁, t₂) of the
/// 9 candidates nearest to it — until the squared residual changes by less than ε relatively or T_max iterations pass.
/// λ starts at λ_min and grows tenfold (up to λ_max) while the normal matrix is ill-conditioned (e.g. T₁ ≈ ±T₂). Each
/// iteration ends with the T step, so every weight sits on the nearest of its group's 9 levels. No calibration data.
/// </summary>
public static class Ptqtp
{
    public static TritPlaneLinear Quantize(ReadOnlySpan<float> w /* [out, in] */, int outFeatures, int inFeatures, QuantFormat format,
        PtqtpOptions? options = null, string layer = "weight")
    {
        options ??= PtqtpOptions.Default;
        if (format.Kind != QuantKind.TritPlanes) throw new QuantReasonException($"{format.Name} is not a trit-plane format", layer);
        format.Validate(outFeatures, inFeatures, layer);
        int gl = format.GroupLength(inFeatures), groups = inFeatures / gl;
        var t1 = new sbyte[(long)outFeatures * inFeatures];
        var t2 = new sbyte[t1.Length];
        var a1 = new float[outFeatures * groups];
        var a2 = new float[a1.Length];
        var wArr = w.ToArray();
        Kernels.KernelThreads.For(outFeatures, 1, (r0, r1) =>
        {
            for (int o = r0; o < r1; o++)
                for (int g = 0; g < groups; g++)
                {
                    int off = o * inFeatures + g * gl;
                    var (x1, x2) = FitGroup(wArr.AsSpan(off, gl), t1.AsSpan(off, gl), t2.AsSpan(off, gl), options);
                    a1[o * groups + g] = x1;
                    a2[o * groups + g] = x2;
                }
        }, (long)inFeatures * 50);
        return new TritPlaneLinear(format, outFeatures, inFeatures, t1, t2, a1, a2, layer);
    }

    /// <summary>Fits one group in place; returns (α₁, α₂).</summary>
    public static (float Alpha1, float Alpha2) FitGroup(ReadOnlySpan<float> w, Span<sbyte> t1, Span<sbyte> t2, PtqtpOptions options)
    {
        int n = w.Length;
        // Start: T₁ = sign(w) with α₁ its least-squares scale, T₂ = sign of the residual.
        double sumAbs = 0; int nonzero = 0;
        for (int k = 0; k < n; k++) { t1[k] = (sbyte)Math.Sign(w[k]); sumAbs += Math.Abs(w[k]); if (w[k] != 0) nonzero++; }
        double alpha1 = nonzero > 0 ? sumAbs / nonzero : 0, alpha2 = 0;
        for (int k = 0; k < n; k++) t2[k] = (sbyte)Math.Sign(w[k] - alpha1 * t1[k]);

        double prev = double.PositiveInfinity;
        for (int it = 0; it < options.MaxIterations; it++)
        {
            // α step: (TᵀT + λI)α = Tᵀw.
            double s11 = 0, s12 = 0, s22 = 0, b1 = 0, b2 = 0;
            for (int k = 0; k < n; k++)
            {
                s11 += t1[k] * t1[k]; s12 += t1[k] * t2[k]; s22 += t2[k] * t2[k];
                b1 += t1[k] * (double)w[k]; b2 += t2[k] * (double)w[k];
            }
            double lambda = options.LambdaMin, det;
            while (true)
            {
                double p = s11 + lambda, q = s22 + lambda;
                det = p * q - s12 * s12;
                double trace = p + q, disc = Math.Sqrt(Math.Max(0, (p - q) * (p - q) + 4 * s12 * s12));
                double cond = (trace + disc) / Math.Max((trace - disc), double.Epsilon);
                if (cond <= 1e8 || lambda >= options.LambdaMax) break;
                lambda = Math.Min(lambda * 10, options.LambdaMax);
            }
            alpha1 = det != 0 ? ((s22 + lambda) * b1 - s12 * b2) / det : 0;
            alpha2 = det != 0 ? ((s11 + lambda) * b2 - s12 * b1) / det : 0;

            // T step: nearest of the 9 levels α₁t₁ + α₂t₂, in f32 as the packed weight will hold α.
            float f1 = (float)alpha1, f2 = (float)alpha2;
            double err = 0;
            for (int k = 0; k < n; k++)
            {
                float best = float.PositiveInfinity; sbyte b1t = 0, b2t = 0;
                for (sbyte u = -1; u <= 1; u++)
                    for (sbyte v = -1; v <= 1; v++)
                    {
                        float d = MathF.Abs(w[k] - (f1 * u + f2 * v));
                        if (d < best) { best = d; b1t = u; b2t = v; }
                    }
                t1[k] = b1t; t2[k] = b2t;
                err += (double)best * best;
            }
            if (Math.Abs(prev - err) <= options.Tolerance * Math.Max(prev == double.PositiveInfinity ? err : prev, 1e-30)) break;
            prev = err;
        }
        return ((float)alpha1, (float)alpha2);
    }
}
