using QuantReason.Training.Ops;

namespace QuantReason.Tests.Training.Ops;

public class KlDivergenceTests
{
    [Theory]
    [InlineData(1f)]
    [InlineData(2.5f)]
    public void Backward_matches_finite_differences(float temperature)
    {
        var rng = new Random(10);
        int t = 3, v = 8;
        var student = GradCheck.Random(rng, t * v, 3f);
        var teacher = GradCheck.Random(rng, t * v, 3f);
        float[] w = [0.5f, 0f, 1.5f];
        var kl = new float[t];
        double Loss() { KlDivergence.Forward(student, teacher, t, v, temperature, kl); return GradCheck.Project(kl, w); }
        var d = new float[t * v];
        KlDivergence.Backward(student, teacher, t, v, temperature, w, d, accumulate: false);
        GradCheck.Check(student, Loss, d, "dstudent", eps: 1e-3f);
    }

    [Fact]
    public void Divergence_is_zero_for_equal_logits_and_positive_otherwise()
    {
        var rng = new Random(11);
        var a = GradCheck.Random(rng, 2 * 5, 3f);
        var kl = new float[2];
        KlDivergence.Forward(a, a, 2, 5, 1f, kl);
        Assert.All(kl, k => Assert.True(Math.Abs(k) < 1e-6));
        KlDivergence.Forward(a, GradCheck.Random(rng, 10, 3f), 2, 5, 1f, kl);
        Assert.All(kl, k => Assert.True(k > 0));
    }
}
