using QuantReason.Training.Ops;

namespace QuantReason.Tests.Training.Ops;

public class RmsNormTests
{
    [Fact]
    public void Backward_matches_finite_differences_for_input_and_weight()
    {
        var rng = new Random(2);
        int rows = 4, dim = 6;
        var x = GradCheck.Random(rng, rows * dim);
        var w = GradCheck.Random(rng, dim);
        var r = GradCheck.Random(rng, rows * dim);
        var y = new float[rows * dim];
        var rstd = new float[rows];
        double Loss() { RmsNorm.Forward(x, w, rows, dim, 1e-5f, y, rstd); return GradCheck.Project(y, r); }
        Loss();
        var dx = new float[x.Length];
        var dw = new float[dim];
        RmsNorm.Backward(x, w, rstd, r, rows, dim, dx, dw);
        GradCheck.Check(x, Loss, dx, "dx", eps: 1e-3f);
        GradCheck.Check(w, Loss, dw, "dw", eps: 1e-3f);
    }

    [Fact]
    public void Output_rows_have_unit_rms_before_the_weight()
    {
        var rng = new Random(3);
        var x = GradCheck.Random(rng, 3 * 64, 5f);
        var w = Enumerable.Repeat(1f, 64).ToArray();
        var y = new float[x.Length];
        RmsNorm.Forward(x, w, 3, 64, 1e-6f, y, new float[3]);
        for (int r = 0; r < 3; r++)
            Assert.Equal(1.0, Math.Sqrt(y.Skip(r * 64).Take(64).Average(v => (double)v * v)), 4);
    }
}
