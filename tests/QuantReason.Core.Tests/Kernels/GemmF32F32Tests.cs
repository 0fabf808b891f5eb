using FsCheck;
using FsCheck.Fluent;
using QuantReason.Kernels;

namespace QuantReason.Tests.Kernels;

public class GemmF32F32Tests
{
    static float[] Random(Random rng, int n)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        return a;
    }

    static void CheckAgainstReference(bool ta, bool tb, int m, int n, int k, bool acc, GemmPath path, bool parallel, int seed)
    {
        var rng = new Random(seed);
        int lda = (ta ? m : k) + seed % 3, ldb = (tb ? k : n) + seed % 2, ldc = n + 1;
        var a = Random(rng, (ta ? k : m) * lda);
        var b = Random(rng, (tb ? n : k) * ldb);
        var c0 = Random(rng, m * ldc);
        var expected = (float[])c0.Clone();
        var actual = (float[])c0.Clone();
        GemmF32F32.Reference(ta, tb, m, n, k, a, lda, b, ldb, expected, ldc, acc);
        GemmF32F32.Multiply(ta, tb, m, n, k, a, lda, b, ldb, actual, ldc, acc, parallel, path);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float e = expected[i * ldc + j], x = actual[i * ldc + j];
                Assert.True(Math.Abs(e - x) <= 1e-5f * (k + 1), $"{path} ta={ta} tb={tb} [{m},{n},{k}] C[{i},{j}] {x} vs {e}");
            }
        // Padding column of C (ldc > n) is never written.
        for (int i = 0; i < m; i++) Assert.Equal(c0[i * ldc + n], actual[i * ldc + n]);
    }

    public static TheoryData<GemmPath> Paths()
    {
        var d = new TheoryData<GemmPath> { GemmPath.Scalar };
        if (System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated) d.Add(GemmPath.Vector256);
        if (System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated) d.Add(GemmPath.Vector512);
        return d;
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Every_transpose_and_edge_shape_matches_the_scalar_reference(GemmPath path)
    {
        // Shapes straddle the 6-row, 16/32-column and 256-deep blocking edges.
        int[][] shapes = [[1, 1, 1], [7, 17, 5], [13, 33, 257], [96, 64, 300], [100, 513, 40], [6, 16, 256]];
        int seed = 0;
        foreach (var s in shapes)
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    foreach (bool acc in new[] { false, true })
                        CheckAgainstReference(ta, tb, s[0], s[1], s[2], acc, path, parallel: true, seed++);
    }

    [Fact]
    public void Random_shapes_match_the_reference_property()
    {
        var gen = from m in Gen.Choose(1, 40)
                  from n in Gen.Choose(1, 70)
                  from k in Gen.Choose(0, 300)
                  from flags in Gen.Choose(0, 7)
                  select (m, n, k, flags);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            CheckAgainstReference((t.flags & 1) != 0, (t.flags & 2) != 0, t.m, t.n, t.k, (t.flags & 4) != 0,
                GemmPath.Auto, parallel: true, t.m * 1000 + t.n);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Results_do_not_depend_on_the_thread_count()
    {
        var rng = new Random(5);
        int m = 300, n = 70, k = 600;
        var a = Random(rng, m * k);
        var b = Random(rng, k * n);
        var one = new float[m * n];
        var two = new float[m * n];
        using (KernelThreads.Use(1)) GemmF32F32.NN(m, n, k, a, b, one);
        using (KernelThreads.Use(2)) GemmF32F32.NN(m, n, k, a, b, two);
        Assert.Equal(one, two);
    }

    [Fact]
    public void An_operand_shorter_than_its_shape_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => GemmF32F32.NN(4, 4, 4, new float[15], new float[16], new float[16]));
    }
}
