using QuantReason.Training.Ops;

namespace QuantReason.Tests.Training.Ops;

public class LinearTests
{
    [Fact]
    public void Backward_matches_finite_differences_for_input_weight_and_bias()
    {
        var rng = new Random(7);
        int t = 9, inDim = 7, outDim = 19;
        var x = GradCheck.Random(rng, t * inDim);
        var w = GradCheck.Random(rng, outDim * inDim);
        var b = GradCheck.Random(rng, outDim);
        var r = GradCheck.Random(rng, t * outDim);
        var y = new float[t * outDim];
        double Loss() { Linear.Forward(x, w, b, t, inDim, outDim, y); return GradCheck.Project(y, r); }
        var dx = new float[x.Length];
        var dw = new float[w.Length];
        var db = new float[b.Length];
        Linear.Backward(x, w, r, t, inDim, outDim, dx, dw, db);
        GradCheck.Check(x, Loss, dx, "dx");
        GradCheck.Check(w, Loss, dw, "dW");
        GradCheck.Check(b, Loss, db, "db");
    }
}
