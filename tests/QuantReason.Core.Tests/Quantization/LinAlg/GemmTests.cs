using QuantReason.Quantization.LinAlg;

namespace QuantReason.Tests.Quantization.LinAlg;

public unsafe class GemmTests
{
    /// <summary>Shapes off every tile boundary, transposed and plain strides, all three triangles, against the f64 loop.</summary>
    [Theory]
    [InlineData(1, 1, 1, false, Triangle.Full)]
    [InlineData(37, 53, 301, false, Triangle.Full)]
    [InlineData(37, 53, 301, true, Triangle.Full)]
    [InlineData(50, 50, 200, false, Triangle.Upper)]
    [InlineData(61, 61, 77, true, Triangle.Lower)]
    [InlineData(8, 100, 500, false, Triangle.Full)]
    public void MatchesReference(int m, int n, int k, bool transposed, Triangle tri)
    {
        var rng = new Random(m * 1000 + n + k);
        var a = TestData.Gaussian(rng, m * k);
        var b = TestData.Gaussian(rng, n * k);
        var c0 = TestData.Gaussian(rng, m * n);
        var fast = (float[])c0.Clone();
        var slow = (float[])c0.Clone();
        // transposed: A(t, i) = a[i·k + t] (row-major [m, k]); else A(t, i) = a[t·m + i] (row-major [k, m]).
        long aRow = transposed ? 1 : m, aCol = transposed ? k : 1, bRow = transposed ? 1 : n, bCol = transposed ? k : 1;
        fixed (float* pa = a, pb = b, pf = fast, ps = slow)
        {
            Gemm.Run(m, n, k, -0.5f, pa, aRow, aCol, pb, bRow, bCol, pf, n, tri);
            Gemm.Reference(m, n, k, -0.5f, pa, aRow, aCol, pb, bRow, bCol, ps, n, tri);
        }
        for (int i = 0; i < m * n; i++)
            Assert.True(Math.Abs(fast[i] - slow[i]) <= 1e-5f * (float)Math.Sqrt(k) * 4 + 1e-5f, $"[{i / n},{i % n}] {fast[i]} vs {slow[i]}");
    }

    [Fact]
    public void SameOperandOnBothSidesIsSupported()
    {
        int n = 45, k = 130;
        var x = TestData.Gaussian(new Random(9), k * n);
        var fast = new float[n * n];
        var slow = new float[n * n];
        fixed (float* px = x, pf = fast, ps = slow)
        {
            Gemm.Run(n, n, k, 1f, px, n, 1, px, n, 1, pf, n, Triangle.Upper);
            Gemm.Reference(n, n, k, 1f, px, n, 1, px, n, 1, ps, n, Triangle.Upper);
        }
        for (int i = 0; i < n * n; i++) Assert.True(Math.Abs(fast[i] - slow[i]) <= 1e-4f, $"{i}");
    }
}
