using QuantReason.Training;
using QuantReason.Weights;

namespace QuantReason.Tests.Training;

public class QuantGridTests
{
    /// <summary>A 2-bit asymmetric grid on one row of 64 columns, two groups of 32, columns interleaved by g_idx (act-order).</summary>
    static QuantGrid Grid(bool learn) =>
        new(QuantFormat.Int(2, 32, sym: false), 1, 64, scales: [0.1f, 0.25f], zeros: [2f, 1f],
            gidx: Enumerable.Range(0, 64).Select(k => k % 2).ToArray(), "t", learn);

    /// <summary>Four weights of interest, the rest zero (zero sits on the grid: code z, inside, no scale gradient).</summary>
    static float[] Pad(params float[] head) => head.Concat(new float[64 - head.Length]).ToArray();

    [Fact]
    public void Forward_is_the_checkpoints_dequantization_and_the_mask_marks_the_clamped_weights()
    {
        var g = Grid(false);
        var w = Pad(0.12f, 0.3f, 0.37f, -0.6f);
        var (wq, mask) = g.Apply(w);
        // col 0: round(1.2)+2 = 3 → 0.1·(3−2); col 1: round(1.2)+1 = 2 → 0.25; col 2: round(3.7)+2 = 6 → clamped to 3;
        // col 3: round(−2.4)+1 = −1 → clamped to 0 → 0.25·(0−1). Scales are fp16 values as the checkpoint stores them.
        float s0 = (float)(Half)0.1f;
        Assert.Equal(Pad(s0 * 1, 0.25f * 1, s0 * 1, 0.25f * -1), wq);
        Assert.Equal(new[] { 1f, 1f, 0f, 0f }, mask.Take(4));
        var t = g.Export(w, "t");
        Assert.Equal(new byte[] { 3, 2, 3, 0 }, t.Codes.Take(4));
        Assert.Equal(wq, t.Dequantize());
    }

    [Fact]
    public void Learned_scale_gradient_is_lsq_closed_form()
    {
        var g = Grid(true);
        var w = Pad(0.12f, 0.3f, 0.37f, -0.6f);
        var dwq = Pad(1f, 2f, 3f, 4f);
        g.AccumulateScaleGrad(w, dwq);
        float s0 = (float)(Half)0.1f;
        // inside: (q − z) − w/s; clamped: (q − z)
        double g0 = 1 * (1 - 0.12 / s0) + 3 * 1, g1 = 2 * (1 - 0.3 / 0.25) + 4 * -1;
        Assert.Equal(g0, g.Scale.Grad![0], 5);
        Assert.Equal(g1, g.Scale.Grad![1], 5);
    }

    [Fact]
    public void Scale_gradient_of_clamped_weights_matches_finite_differences()
    {
        // Clamped codes make ŵ = s·(q − z) exactly linear in s, so the finite difference is the true derivative there.
        // s and s ± h are fp16 values, so the forward's fp16 rounding of the scale does not blur the difference.
        var g = new QuantGrid(QuantFormat.Int(2, 32, sym: false), 1, 32, [0.125f], [1f], new int[32], "t", learnScales: true);
        var w = Enumerable.Range(0, 32).Select(k => (k % 3 - 1) * (0.9f + 0.02f * k)).ToArray(); // |w| ≥ 0.9: all clamped
        var c = Enumerable.Range(0, 32).Select(k => MathF.Sin(k)).ToArray();
        double Loss(float s) { g.Scale.Value[0] = s; var (wq, _) = g.Apply(w); return wq.Zip(c, (a, b) => (double)a * b).Sum(); }
        float h = 1f / 64;
        double fd = (Loss(0.125f + h) - Loss(0.125f - h)) / (2 * h);
        g.Scale.Value[0] = 0.125f;
        Assert.All(g.Apply(w).Mask.Where((_, k) => k % 3 != 1), m => Assert.Equal(0f, m));
        g.AccumulateScaleGrad(w, c);
        Assert.Equal(fd, g.Scale.Grad![0], 4);
    }

    [Fact]
    public void Backward_routes_the_weight_gradient_through_the_mask_and_the_scale_gradient_through_lsq()
    {
        var lin = new TrainableLinear("t", new Parameter("t.weight", Pad(0.12f, 0.3f, 0.37f, -0.6f), 1, 64), null) { Grid = Grid(true) };
        var x = Pad(1f, -2f, 0.5f, 3f).Concat(Pad(0.25f, 1f, -1f, 2f)).ToArray(); // [2, 64]; products and sums exact in f32
        float[] dy = [1.5f, -0.5f];
        lin.Forward(x, 2, new float[2]);
        lin.Backward(dy, 2, null);
        var raw = new float[64];
        for (int k = 0; k < 64; k++) raw[k] = dy[0] * x[k] + dy[1] * x[64 + k];
        Assert.Equal(Pad(raw[0], raw[1], 0f, 0f), lin.Weight.Grad);
        var expected = Grid(true);
        expected.AccumulateScaleGrad(lin.Weight.Value, raw);
        Assert.Equal(expected.Scale.Grad, lin.Grid!.Scale.Grad);
    }
}
