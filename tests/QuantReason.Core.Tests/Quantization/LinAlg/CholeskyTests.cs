using QuantReason.Quantization.LinAlg;

namespace QuantReason.Tests.Quantization.LinAlg;

public class CholeskyTests
{
    static float[] Spd(int n, int seed)
    {
        var rng = new Random(seed);
        int k = n + 20;
        var x = TestData.Gaussian(rng, k * n);
        var a = new float[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int t = 0; t < k; t++) s += (double)x[t * n + i] * x[t * n + j];
                a[i * n + j] = (float)(s / k) + (i == j ? 0.1f : 0f);
            }
        return a;
    }

    [Theory]
    [InlineData(5)]
    [InlineData(97)]
    [InlineData(250)]
    public void LowerFactorReproducesTheMatrix(int n)
    {
        var a = Spd(n, n);
        var l = (float[])a.Clone();
        Cholesky.FactorLower(l, n);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                if (j > i) Assert.Equal(0f, l[i * n + j]);
                double s = 0;
                for (int t = 0; t <= Math.Min(i, j); t++) s += (double)l[i * n + t] * l[j * n + t];
                Assert.True(Math.Abs(s - a[i * n + j]) <= 1e-4, $"[{i},{j}] {s} vs {a[i * n + j]}");
            }
    }

    [Theory]
    [InlineData(7)]
    [InlineData(200)]
    [InlineData(620)] // beyond one 480-column block of the triangular inverse
    public void UpperCholeskyOfInverseSatisfiesUtUA(int n)
    {
        var a = Spd(n, n + 1);
        var u = Cholesky.UpperCholeskyOfInverse(a, n);
        // Uᵀ·U = A⁻¹  ⇔  A·Uᵀ·U = I; check (Uᵀ·U)·A = I column-wise in f64.
        var utu = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                if (i > 0 && j < i) Assert.Equal(0f, u[i * n + j]);
                double s = 0;
                for (int t = 0; t <= Math.Min(i, j); t++) s += (double)u[t * n + i] * u[t * n + j];
                utu[i * n + j] = s;
            }
        double worst = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int t = 0; t < n; t++) s += utu[i * n + t] * a[t * n + j];
                worst = Math.Max(worst, Math.Abs(s - (i == j ? 1 : 0)));
            }
        Assert.True(worst < 2e-3, $"max |UᵀUA − I| = {worst}");
    }

    [Fact]
    public void IndefiniteMatrixIsAClearError()
    {
        var a = new float[] { 1, 2, 2, 1 };
        var ex = Assert.Throws<QuantReasonException>(() => Cholesky.FactorLower(a, 2, "layer.3.mlp"));
        Assert.Contains("layer.3.mlp", ex.Message);
        Assert.Contains("positive definite", ex.Message);
    }
}
