using FsCheck;
using FsCheck.Fluent;
using QuantReason.Models;
using QuantReason.Training.Ops;

namespace QuantReason.Tests.Training.Ops;

public class RopeTests
{
    static readonly RopeTable Table = new(new RopeScaling(RopeType.Default, 10000), 8, 16);

    [Fact]
    public void Backward_matches_finite_differences()
    {
        var rng = new Random(4);
        int batch = 2, seq = 5, heads = 3, hd = 8, t = batch * seq;
        var x = GradCheck.Random(rng, t * heads * hd);
        var r = GradCheck.Random(rng, x.Length);
        double Loss() { var y = (float[])x.Clone(); Rope.Forward(y, t, seq, heads, hd, Table); return GradCheck.Project(y, r); }
        var g = (float[])r.Clone();
        Rope.Backward(g, t, seq, heads, hd, Table);
        GradCheck.Check(x, Loss, g, "dx");
    }

    [Fact]
    public void Rotation_preserves_norms_and_the_backward_inverts_it()
    {
        var gen = from seed in Gen.Choose(0, 10_000) from seq in Gen.Choose(1, 16) select (seed, seq);
        Prop.ForAll(gen.ToArbitrary(), c =>
        {
            var x = GradCheck.Random(new Random(c.seed), c.seq * 2 * 8);
            var y = (float[])x.Clone();
            Rope.Forward(y, c.seq, c.seq, 2, 8, Table);
            double nx = x.Sum(v => (double)v * v), ny = y.Sum(v => (double)v * v);
            Assert.True(Math.Abs(nx - ny) <= 1e-5 * nx + 1e-9);
            Rope.Backward(y, c.seq, c.seq, 2, 8, Table);
            for (int i = 0; i < x.Length; i++) Assert.True(Math.Abs(x[i] - y[i]) < 1e-5f);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Position_zero_is_the_identity()
    {
        var x = GradCheck.Random(new Random(5), 2 * 8);
        var y = (float[])x.Clone();
        Rope.Forward(y, 1, 1, 2, 8, Table);
        Assert.Equal(x, y);
    }
}
