using QuantReason.Models;
using QuantReason.Training;

namespace QuantReason.Tests.Training;

public class GrpoLossTests
{
    static readonly double Ln2 = Math.Log(2);

    /// <summary>
    /// Two completions (Â = +1 with 2 tokens, Â = −0.5 with 3), ε = 0.2, β = 0.1, built so every branch of the objective
    /// shows up once. Per token (ρ = e^{π−π_old}, k3 = e^{r−π} − (r−π) − 1):
    ///   A1 ρ = 1.25 &gt; 1.2, Â &gt; 0 → the clip binds: ℓ = −1.2, ∂ℓ/∂π = 0
    ///   A2 ρ = 1, r − π = ln 2 → k3 = 1 − ln 2: ℓ = −1 + 0.1(1 − ln 2), ∂ = −1 + 0.1(1 − 2) = −1.1
    ///   B1 ρ = 1.25, Â &lt; 0 → unclipped −0.625 &lt; clipped −0.6: ℓ = 0.625, ∂ = −ρÂ = 0.625
    ///   B2 ρ = 0.5 &lt; 0.8, Â &lt; 0 → the clip binds: ℓ = 0.4, ∂ = 0
    ///   B3 ρ = 1, r − π = −ln 2 → k3 = ln 2 − 0.5: ℓ = 0.5 + 0.1(ln 2 − 0.5), ∂ = 0.5 + 0.1(1 − 0.5) = 0.55
    /// grpo: mean of the per-completion token means; bnpo: Σℓ / 5 = −0.625 / 5; dr_grpo: Σℓ / (2 · max_new_tokens 4).
    /// </summary>
    [Theory]
    [InlineData(GrpoLossType.Grpo)]
    [InlineData(GrpoLossType.Bnpo)]
    [InlineData(GrpoLossType.DrGrpo)]
    public void Loss_on_a_fixed_batch_equals_the_hand_computed_value(GrpoLossType type)
    {
        double l5 = Math.Log(0.5), l4 = Math.Log(0.4), l25 = Math.Log(0.25);
        int[] targets = [5, 7, -1, -1, /**/ 3, 1, 2, -1];
        float[] logp = [(float)l5, (float)l5, 0, 0, (float)l5, (float)l5, (float)l5, 0];
        float[] old = [(float)l4, (float)l5, 0, 0, (float)l4, 0, (float)l5, 0];
        float[] refp = [(float)l5, 0, 0, 0, (float)l5, (float)l5, (float)l25, 0];
        float[] adv = [1f, -0.5f];
        var weights = GrpoLoss.TokenWeights(targets, 2, 4, type, maxNewTokens: 4);
        var (r, dlogp) = GrpoLoss.Evaluate(logp, old, refp, weights, targets, adv, 4, epsilon: 0.2, beta: 0.1);

        double a1 = -1.2, a2 = -1 + 0.1 * (1 - Ln2), b1 = 0.625, b2 = 0.4, b3 = 0.5 + 0.1 * (Ln2 - 0.5);
        double expected = type switch
        {
            GrpoLossType.Grpo => ((a1 + a2) / 2 + (b1 + b2 + b3) / 3) / 2, // −0.284943
            GrpoLossType.Bnpo => (a1 + a2 + b1 + b2 + b3) / 5,             // −0.125
            _ => (a1 + a2 + b1 + b2 + b3) / 8,                              // −0.078125
        };
        Assert.Equal(expected, (double)r.Loss, 1e-6);
        if (type == GrpoLossType.Bnpo) Assert.Equal(-0.125, (double)r.Loss, 1e-6);
        Assert.Equal(5, r.CompletionTokens);
        Assert.Equal(0.4, r.ClipFraction, 6);              // A1 and B2
        Assert.Equal((1 - Ln2 + Ln2 - 0.5) / 5, r.Kl, 5);   // 0.1

        double wa = type == GrpoLossType.Grpo ? 1 / 4.0 : type == GrpoLossType.Bnpo ? 1 / 5.0 : 1 / 8.0;
        double wb = type == GrpoLossType.Grpo ? 1 / 6.0 : wa;
        double[] expectedGrad = [0, -1.1 * wa, 0, 0, 0.625 * wb, 0, 0.55 * wb, 0];
        for (int i = 0; i < 8; i++) Assert.Equal(expectedGrad[i], dlogp[i], 5);
    }

    [Fact]
    public void Without_a_reference_a_kl_penalty_is_refused()
    {
        var e = Assert.Throws<QuantReasonException>(() =>
            GrpoLoss.Evaluate([0f], null, null, [1f], [1], [1f], 1, 0.2, 0.04));
        Assert.Contains("reference", e.Message);
    }

    /// <summary>
    /// The model-level backward (per-token weights, temperature, CE chain, reference forward, micro-batching) against
    /// central differences of the loss, with π_old shifted per token so that some ratios sit well inside the clip range
    /// and some well outside it (the derivative is then smooth around every point the check visits).
    /// </summary>
    [Theory]
    [InlineData(ArchitectureKind.Llama, GrpoLossType.Grpo)]
    [InlineData(ArchitectureKind.Qwen3, GrpoLossType.Bnpo)]
    public void Policy_gradient_matches_finite_differences(ArchitectureKind kind, GrpoLossType type)
    {
        var cfg = TinyConfigs.Of(kind);
        var policy = TinyConfigs.RandomModel(cfg, 101);
        var reference = TinyConfigs.RandomModel(cfg, 102);
        foreach (var p in reference.Parameters) p.Trainable = false;
        var rng = new Random(103);
        var prompts = Enumerable.Range(0, 4).Select(i => Enumerable.Range(0, 2 + i % 2).Select(_ => rng.Next(cfg.VocabSize)).ToArray()).ToList();
        var completions = Enumerable.Range(0, 4).Select(i => Enumerable.Range(0, 3 + i).Select(_ => rng.Next(cfg.VocabSize)).ToArray()).ToList();
        var batch = GrpoBatch.Build(prompts, completions, [1.2f, -0.4f, 0.7f, -1.5f], padId: 0);
        var o = new GrpoOptions { Reward = GrpoRewardSource.Verifier, Group = 2, PromptsPerStep = 2, Temperature = 0.7f, Epsilon = 0.2f, Beta = 0.3f, LossType = type, MaxNewTokens = 6 };
        var old = GrpoLoss.LogProbs(policy, batch, o.Temperature, 4);
        for (int i = 0; i < old.Length; i++) old[i] += (float)(rng.Next(4) switch { 0 => 0.5, 1 => -0.5, 2 => 0.05, _ => -0.05 });

        policy.ZeroGrad();
        var whole = GrpoLoss.ForwardBackward(policy, reference, batch, o, microBatch: 4, old);
        Assert.InRange(whole.ClipFraction, 0.05, 0.95); // both branches are exercised
        var checkedParams = new[] { policy.Embed, policy.Layers[0].Attention.Q.Weight, policy.Layers[1].Down.Weight, policy.FinalNorm };
        var grads = checkedParams.Select(p => p.Grad!.ToArray()).ToArray();
        // Micro-batches of one row accumulate the same gradient and loss as one forward of all rows.
        policy.ZeroGrad();
        var split = GrpoLoss.ForwardBackward(policy, reference, batch, o, microBatch: 1, old);
        Assert.Equal(whole.Loss, split.Loss, 5);
        foreach (var (p, g) in checkedParams.Zip(grads))
            for (int i = 0; i < g.Length; i++) Assert.Equal(g[i], p.Grad![i], 4);

        foreach (var (p, grad) in checkedParams.Zip(grads))
        {
            var idx = Enumerable.Range(0, 6).Select(i => (i * 7919 + 3) % p.Value.Length).Distinct().ToArray();
            var view = idx.Select(i => p.Value[i]).ToArray();
            var analytic = idx.Select(i => grad[i]).ToArray();
            double Loss()
            {
                for (int j = 0; j < idx.Length; j++) p.Value[idx[j]] = view[j];
                return GrpoLoss.ForwardBackward(policy, reference, batch, o, microBatch: 4, old).Loss;
            }
            Ops.GradCheck.Check(view, Loss, analytic, p.Name, eps: 1e-2f, tol: 3e-2);
            for (int j = 0; j < idx.Length; j++) p.Value[idx[j]] = view[j];
        }
    }

    [Fact]
    public void With_one_update_per_rollout_and_no_kl_the_loss_is_minus_the_mean_advantage()
    {
        // ρ = 1 and β = 0: ℓ_t = −Â_i, so the grpo loss is −mean(Â) and the gradient is the policy gradient −Â·∇π / |o_i|.
        var cfg = TinyConfigs.Of(ArchitectureKind.Llama);
        var policy = TinyConfigs.RandomModel(cfg, 111);
        var batch = GrpoBatch.Build([[1, 2], [1, 2], [3], [3]], [[4, 5], [6], [7, 8, 9], [2]], [0.5f, -0.5f, 1f, -1f], 0);
        var o = new GrpoOptions { Reward = GrpoRewardSource.Grader, Group = 2, PromptsPerStep = 2, Beta = 0f };
        policy.ZeroGrad();
        var r = GrpoLoss.ForwardBackward(policy, null, batch, o, microBatch: 4);
        Assert.Equal(0.0, r.Loss, 6);
        Assert.Equal(0.0, r.ClipFraction);
        Assert.Equal(7, r.CompletionTokens);
    }
}
