using QuantReason.Kernels;
using QuantReason.Tensors;

namespace QuantReason.Tests.Kernels;

/// <summary>The packed bf16 matmul on every path (AVX-512, AVX2, portable) against its f64 reference, over shapes that
/// exercise padded rows and columns, single tokens and the 4-token tiles with leftovers.</summary>
public unsafe class PackedBF16Tests
{
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 }, { 3, 7, 1 }, { 5, 16, 2 }, { 17, 33, 3 }, { 64, 160, 5 }, { 130, 257, 16 }, { 8, 64, 4 }, { 37, 70, 9 }, { 70, 300, 24 }, { 45, 600, 31 },
    };

    static ushort[] RandomBF16(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => DTypes.F32ToBF16((float)(r.NextDouble() * 2 - 1))).ToArray();
    }

    static float[] Random(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
    }

    static IEnumerable<GemmPath> Paths()
    {
        yield return GemmPath.Scalar;
        if (System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated) yield return GemmPath.Vector256;
        if (System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated) yield return GemmPath.Vector512;
    }

    [Theory, MemberData(nameof(Shapes))]
    public void EveryPathMatchesReference(int rows, int cols, int tokens)
    {
        var w = PackedBF16.Pack(RandomBF16(rows * cols, 1), rows, cols);
        var x = Random(tokens * cols, 2);
        var yr = new float[tokens * rows];
        w.Reference(x, yr, tokens);
        foreach (var path in Paths())
        {
            var y = Enumerable.Repeat(float.NaN, tokens * rows + 3).ToArray(); // past the end must stay untouched
            fixed (float* xp = x, yp = y) w.Forward(xp, tokens, yp, path);
            // f32 sums of cols products of magnitude ≤ 1 in another order than the f64 reference.
            float tol = 2e-6f * cols + 1e-6f;
            for (int i = 0; i < yr.Length; i++) Assert.True(Math.Abs(yr[i] - y[i]) <= tol, $"{path} [{i}] {yr[i]} vs {y[i]}");
            for (int i = yr.Length; i < y.Length; i++) Assert.True(float.IsNaN(y[i]), $"{path} wrote past the output at {i}");
        }
    }

    [Fact]
    public void PackRoundTripsAndRowsWiden()
    {
        int rows = 9, cols = 45;
        var src = RandomBF16(rows * cols, 3);
        var w = PackedBF16.Pack(src, rows, cols);
        Assert.Equal(src, w.Unpack());
        var row = new float[cols];
        w.Row(7, row);
        Assert.Equal(src.AsSpan(7 * cols, cols).ToArray().Select(DTypes.BF16ToF32), row);
    }

    [Fact]
    public void GemmPathDoesNotDependOnThreadCount()
    {
        int rows = 300, cols = 520, tokens = PackedBF16.GemmMinTokens + 3;
        var w = PackedBF16.Pack(RandomBF16(rows * cols, 6), rows, cols);
        var x = Random(tokens * cols, 7);
        float[] y1 = new float[tokens * rows], y3 = new float[tokens * rows];
        using (KernelThreads.Use(1))
            fixed (float* xp = x, yp = y1) w.Forward(xp, tokens, yp);
        using (KernelThreads.Use(3))
            fixed (float* xp = x, yp = y3) w.Forward(xp, tokens, yp);
        Assert.Equal(y1, y3);
    }

    [Fact]
    public void TokenResultDoesNotDependOnBatchGroupingOrThreads()
    {
        int rows = 72, cols = 512, tokens = 7;
        var w = PackedBF16.Pack(RandomBF16(rows * cols, 4), rows, cols);
        var x = Random(tokens * cols, 5);
        var all = new float[tokens * rows];
        using (KernelThreads.Use(3))
            fixed (float* xp = x, yp = all) w.Forward(xp, tokens, yp);
        using (KernelThreads.Use(1))
            for (int t = 0; t < tokens; t++)
            {
                var one = new float[rows];
                fixed (float* xp = &x[t * cols], yp = one) w.Forward(xp, 1, yp);
                Assert.Equal(all.AsSpan(t * rows, rows).ToArray(), one);
            }
    }
}
