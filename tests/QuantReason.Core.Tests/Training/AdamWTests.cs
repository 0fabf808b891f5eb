using QuantReason.Training;

namespace QuantReason.Tests.Training;

public class AdamWTests
{
    static Parameter P(string name, float[] v, params long[] shape) => new(name, v, shape);

    [Fact]
    public void First_step_moves_each_weight_by_lr_against_the_sign_of_its_gradient()
    {
        // Bias correction makes m̂/√v̂ = g/|g| on step 1, whatever the gradient's size: the defining property of Adam's correction.
        var p = P("w", [1f, -2f, 3f, 0.5f], 2, 2);
        float[] g = [1e-3f, -5f, 200f, -0.25f];
        g.CopyTo(p.Grad!, 0);
        var opt = new AdamW([p], new AdamWOptions(Eps: 1e-12f, WeightDecay: 0f));
        opt.Update(0.01f);
        float[] expected = [0.99f, -1.99f, 2.99f, 0.51f];
        for (int i = 0; i < 4; i++) Assert.Equal(expected[i], p.Value[i], 5);
    }

    [Fact]
    public void Weight_decay_is_decoupled_and_skips_vectors()
    {
        var w = P("w", [2f, -4f], 1, 2);
        var norm = P("norm.weight", [2f, -4f], 2);
        var opt = new AdamW([w, norm], new AdamWOptions(WeightDecay: 0.1f));
        for (int s = 0; s < 3; s++) opt.Update(0.5f); // zero gradients: only the decay acts
        float f = MathF.Pow(1 - 0.5f * 0.1f, 3);
        Assert.Equal(2f * f, w.Value[0], 6);
        Assert.Equal(-4f * f, w.Value[1], 6);
        Assert.Equal([2f, -4f], norm.Value);
    }

    [Fact]
    public void Matches_a_float64_transcription_of_torch_adamw_over_several_steps()
    {
        var rng = new Random(3);
        var p = P("w", Ops.GradCheck.Random(rng, 6), 2, 3);
        double[] w = p.Value.Select(v => (double)v).ToArray(), m = new double[6], v = new double[6];
        var o = new AdamWOptions(0.9f, 0.95f, 1e-8f, 0.1f);
        var opt = new AdamW([p], o);
        float[] lrs = [1e-2f, 3e-2f, 2e-2f, 5e-3f];
        for (int t = 1; t <= lrs.Length; t++)
        {
            var g = Ops.GradCheck.Random(rng, 6);
            g.CopyTo(p.Grad!, 0);
            opt.Update(lrs[t - 1]);
            double lr = lrs[t - 1];
            for (int i = 0; i < 6; i++)
            {
                w[i] *= 1 - lr * o.WeightDecay;
                m[i] = o.Beta1 * m[i] + (1 - o.Beta1) * g[i];
                v[i] = o.Beta2 * v[i] + (1 - o.Beta2) * g[i] * g[i];
                double denom = Math.Sqrt(v[i]) / Math.Sqrt(1 - Math.Pow(o.Beta2, t)) + o.Eps;
                w[i] -= lr / (1 - Math.Pow(o.Beta1, t)) * m[i] / denom;
            }
        }
        for (int i = 0; i < 6; i++) Assert.Equal(w[i], p.Value[i], 5);
    }

    [Fact]
    public void Clipping_scales_to_the_max_norm_only_when_above_it()
    {
        var a = P("a", [0f, 0f], 2);
        var b = P("b", [0f], 1);
        new[] { 3f, 0f }.CopyTo(a.Grad!, 0);
        b.Grad![0] = 4f;
        Assert.Equal(5f, AdamW.ClipGradNorm([a, b], 1f), 5);
        double n = Math.Sqrt(a.Grad!.Sum(x => x * x) + b.Grad![0] * b.Grad[0]);
        Assert.Equal(1.0, n, 4);
        Assert.Equal(0.6f, a.Grad![0], 4);
        float before = b.Grad[0];
        AdamW.ClipGradNorm([a, b], 10f);
        Assert.Equal(before, b.Grad[0]);
    }

    [Fact]
    public void State_round_trips_through_a_file()
    {
        var p = P("w", [1f, 2f], 2);
        var opt = new AdamW([p], new AdamWOptions());
        p.Grad![0] = 0.3f;
        opt.Update(0.1f);
        var path = Path.Combine(Path.GetTempPath(), $"qr-adamw-{Guid.NewGuid():N}.safetensors");
        try
        {
            opt.Save(path);
            var q = P("w", (float[])p.Value.Clone(), 2);
            var again = new AdamW([q], new AdamWOptions());
            again.Load(path);
            Assert.Equal(1, again.Step);
            p.Grad![1] = -0.2f; q.Grad![0] = 0.3f; q.Grad[1] = -0.2f;
            opt.Update(0.1f);
            again.Update(0.1f);
            Assert.Equal(p.Value, q.Value);
        }
        finally { File.Delete(path); }
    }
}
