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
        // A triangle splits rows by the elements they write (not by count); each element's sum is still thread-independent.
        int g = 400;
        var x = Random(rng, k * g);
        var gramOne = new float[g * g];
        var gramTwo = new float[g * g];
        using (KernelThreads.Use(1))
        {
            GemmF32F32.NN(m, n, k, a, b, one);
            GemmF32F32.SymmetricRankK(g, k, x, g, gramOne, g, alpha: 0.5f);
        }
        using (KernelThreads.Use(2))
        {
            GemmF32F32.NN(m, n, k, a, b, two);
            GemmF32F32.SymmetricRankK(g, k, x, g, gramTwo, g, alpha: 0.5f);
        }
        Assert.Equal(one, two);
        Assert.Equal(gramOne, gramTwo);
    }

    /// <summary>α and a triangle (the quantizers' calls: α·XᵀX, C −= A·Bᵀ on the lower half) on every path, shapes off
    /// the 6-row, 16/32-column and 256-deep edges and off the diagonal's tile boundaries; the other half of C keeps its values.</summary>
    [Theory]
    [MemberData(nameof(Paths))]
    public void Alpha_and_triangles_match_the_scalar_reference(GemmPath path)
    {
        int[][] shapes = [[1, 1, 1], [7, 7, 5], [37, 53, 301], [50, 50, 200], [61, 61, 77], [100, 513, 40], [200, 200, 260]];
        int seed = 100;
        foreach (var s in shapes)
            foreach (var tri in new[] { Triangle.Full, Triangle.Upper, Triangle.Lower })
                foreach (bool acc in new[] { false, true })
                    foreach (bool ta in new[] { false, true })
                    {
                        var rng = new Random(seed++);
                        int m = s[0], n = s[1], k = s[2], lda = ta ? m : k, ldb = n, ldc = n + 2;
                        float alpha = acc ? -1f : 0.37f;
                        var a = Random(rng, (ta ? k : m) * lda);
                        var b = Random(rng, k * ldb);
                        var c0 = Random(rng, m * ldc);
                        var expected = (float[])c0.Clone();
                        var actual = (float[])c0.Clone();
                        GemmF32F32.Reference(ta, false, m, n, k, a, lda, b, ldb, expected, ldc, acc, alpha, tri);
                        GemmF32F32.Multiply(ta, false, m, n, k, a, lda, b, ldb, actual, ldc, acc, parallel: true, path, alpha, tri);
                        for (int i = 0; i < m; i++)
                            for (int j = 0; j < ldc; j++)
                            {
                                float e = expected[i * ldc + j], x = actual[i * ldc + j];
                                bool inside = j < n && (tri == Triangle.Full || (tri == Triangle.Upper ? j >= i : j <= i));
                                if (!inside) Assert.Equal(c0[i * ldc + j], x);
                                else Assert.True(Math.Abs(e - x) <= 1e-5f * (k + 1), $"{path} {tri} α={alpha} ta={ta} [{m},{n},{k}] C[{i},{j}] {x} vs {e}");
                            }
                    }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Symmetric_rank_k_is_the_upper_half_of_xT_x(GemmPath path)
    {
        // A Hessian-like Gram matrix: 2/k·XᵀX over k rows of X [k, n], accumulated onto an existing H.
        var rng = new Random(9);
        int n = 131, k = 300;
        var x = Random(rng, k * n);
        var h0 = Random(rng, n * n);
        var expected = (float[])h0.Clone();
        var actual = (float[])h0.Clone();
        GemmF32F32.Reference(true, false, n, n, k, x, n, x, n, expected, n, accumulate: true, alpha: 2f / k, Triangle.Upper);
        GemmF32F32.SymmetricRankK(n, k, x, n, actual, n, alpha: 2f / k, accumulate: true, path: path);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                if (j < i) Assert.Equal(h0[i * n + j], actual[i * n + j]);
                else Assert.True(Math.Abs(expected[i * n + j] - actual[i * n + j]) <= 1e-5f, $"{path} H[{i},{j}]");
    }

    [Fact]
    public void An_operand_shorter_than_its_shape_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => GemmF32F32.NN(4, 4, 4, new float[15], new float[16], new float[16]));
    }
}
