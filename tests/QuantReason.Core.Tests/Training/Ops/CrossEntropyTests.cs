using QuantReason.Training.Ops;

namespace QuantReason.Tests.Training.Ops;

public class CrossEntropyTests
{
    [Fact]
    public void Masked_mean_backward_matches_finite_differences()
    {
        var rng = new Random(8);
        int t = 6, v = 11;
        var logits = GradCheck.Random(rng, t * v, 3f);
        int[] targets = [3, -1, 10, 0, -1, 7];
        var nll = new float[t];
        var lse = new float[t];
        double Loss() { CrossEntropy.Forward(logits, t, v, targets, nll, lse); return CrossEntropy.MeanLoss(nll, targets, t, out _); }
        Loss();
        var w = targets.Select(y => y >= 0 ? 1f / 4 : 0f).ToArray();
        var d = new float[t * v];
        CrossEntropy.Backward(logits, lse, targets, w, t, v, d);
        GradCheck.Check(logits, Loss, d, "dlogits", eps: 1e-3f);
        for (int i = v; i < 2 * v; i++) Assert.Equal(0f, d[i]); // no target, no gradient
    }

    [Fact]
    public void Loss_matches_a_direct_f64_log_softmax()
    {
        var rng = new Random(9);
        int t = 4, v = 9;
        var logits = GradCheck.Random(rng, t * v, 10f);
        int[] targets = [0, 8, 4, 2];
        var nll = new float[t];
        CrossEntropy.Forward(logits, t, v, targets, nll, new float[t]);
        for (int i = 0; i < t; i++)
        {
            double lse = Math.Log(Enumerable.Range(0, v).Sum(j => Math.Exp(logits[i * v + j])));
            Assert.Equal(lse - logits[i * v + targets[i]], nll[i], 4);
        }
    }

    [Fact]
    public void Next_token_targets_shift_by_one_and_respect_the_mask()
    {
        int[] ids = [5, 6, 7, 8, 1, 2, 3, 4];
        int[] mask = [1, 1, 0, 1, 1, 1, 1, 0];
        Assert.Equal([6, -1, 8, -1, 2, 3, -1, -1], CrossEntropy.NextTokenTargets(ids, mask, 2, 4));
    }
}
