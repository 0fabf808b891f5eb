using QuantReason.Training.Ops;

namespace QuantReason.Tests.Training.Ops;

public class SwiGluTests
{
    [Fact]
    public void Backward_matches_finite_differences()
    {
        var rng = new Random(6);
        int n = 3000; // longer than one vectorized chunk
        var gate = GradCheck.Random(rng, n, 4f);
        var up = GradCheck.Random(rng, n, 2f);
        var r = GradCheck.Random(rng, n);
        var h = new float[n];
        double Loss() { SwiGlu.Forward(gate, up, h, n); return GradCheck.Project(h, r); }
        var dg = new float[n];
        var du = new float[n];
        SwiGlu.Backward(gate, up, r, dg, du, n);
        GradCheck.Check(gate, Loss, dg, "dgate", eps: 1e-3f);
        GradCheck.Check(up, Loss, du, "dup", eps: 1e-3f);
    }

    [Fact]
    public void Forward_is_silu_of_gate_times_up()
    {
        float[] g = [-3f, -0.5f, 0f, 0.7f, 5f], u = [1f, 2f, 3f, -1f, 0.5f], h = new float[5];
        SwiGlu.Forward(g, u, h, 5);
        for (int i = 0; i < 5; i++) Assert.Equal(g[i] / (1 + Math.Exp(-g[i])) * u[i], h[i], 5);
    }
}
