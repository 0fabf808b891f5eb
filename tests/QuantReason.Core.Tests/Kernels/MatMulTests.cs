using QuantReason.Kernels;

namespace QuantReason.Tests.Kernels;

/// <summary>The SIMD matmul paths against their scalar reference, over shapes that exercise every tile and tail.</summary>
public unsafe class MatMulTests
{
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 }, { 3, 7, 1 }, { 5, 16, 2 }, { 17, 33, 3 }, { 64, 160, 5 }, { 130, 257, 16 }, { 8, 8, 1 },
    };

    static float[] Random(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
    }

    static void AssertClose(float[] expected, float[] actual, int k)
    {
        // Both sum k products of magnitude ≤ 1 in a different order: bound the difference by k·ε·max|term| style slack.
        float tol = 1e-6f * k + 1e-6f;
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= tol, $"[{i}] {expected[i]} vs {actual[i]}");
    }

    [Theory, MemberData(nameof(Shapes))]
    public void F32MatchesScalarReference(int rows, int k, int tokens)
    {
        float[] w = Random(rows * k, 1), x = Random(tokens * k, 2), y = new float[tokens * rows], yr = new float[tokens * rows];
        fixed (float* wp = w, xp = x, yp = y, yrp = yr)
        {
            MatMulF32F32.Forward(wp, rows, k, xp, tokens, yp);
            MatMulF32F32.Reference(wp, rows, k, xp, tokens, yrp);
        }
        AssertClose(yr, y, k);
    }

    [Fact]
    public void ResultDoesNotDependOnThreadCount()
    {
        int rows = 96, k = 512, tokens = 3;
        float[] w = Random(rows * k, 5), x = Random(tokens * k, 6), y1 = new float[tokens * rows], y2 = new float[tokens * rows];
        fixed (float* wp = w, xp = x, y1p = y1, y2p = y2)
        {
            using (KernelThreads.Use(1)) MatMulF32F32.Forward(wp, rows, k, xp, tokens, y1p);
            using (KernelThreads.Use(3)) MatMulF32F32.Forward(wp, rows, k, xp, tokens, y2p);
        }
        Assert.Equal(y1, y2);
    }
}
