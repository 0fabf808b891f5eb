namespace QuantReason.Tests.Training.Ops;

/// <summary>Finite-difference checks of an op's backward: central differences of a scalar loss, in f32 with a tolerance
/// scaled to the gradient's size (f32 rounding of the loss divided by eps dominates the error).</summary>
static class GradCheck
{
    public static float[] Random(Random rng, int n, float scale = 1f)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return a;
    }

    /// <summary>Σ r ⊙ y in f64: a random projection turns any op output into a scalar loss whose gradient w.r.t. y is r.</summary>
    public static double Project(float[] y, float[] r, int n = -1)
    {
        double s = 0;
        for (int i = 0; i < (n < 0 ? r.Length : n); i++) s += (double)y[i] * r[i];
        return s;
    }

    /// <summary>Compares <paramref name="analytic"/> with (loss(x+eps) − loss(x−eps)) / 2eps for every element of x.</summary>
    public static void Check(float[] x, Func<double> loss, float[] analytic, string what, float eps = 1e-2f, double tol = 1e-2)
    {
        double maxRef = 0, maxDiff = 0;
        int worst = -1;
        for (int i = 0; i < x.Length; i++)
        {
            float saved = x[i];
            x[i] = saved + eps;
            double lp = loss();
            x[i] = saved - eps;
            double lm = loss();
            x[i] = saved;
            double num = (lp - lm) / (2 * eps);
            maxRef = Math.Max(maxRef, Math.Abs(num));
            double d = Math.Abs(num - analytic[i]);
            if (d > maxDiff) { maxDiff = d; worst = i; }
        }
        Assert.True(maxRef > 0, $"{what}: the numerical gradient is identically zero, the check would be vacuous");
        Assert.True(maxDiff <= tol * maxRef + 1e-4,
            $"{what}: max |analytic − numeric| = {maxDiff:E2} at {worst} (analytic {analytic[Math.Max(0, worst)]:E3}), max |numeric| = {maxRef:E2}");
    }
}
