using QuantReason.Training.Ops;

namespace QuantReason.Training;

/// <summary>One token's GRPO loss ℓ_t and its derivative with respect to the policy's log-probability π_t.</summary>
public readonly record struct GrpoTokenTerm(double Loss, double DLogp, double Kl, bool Clipped);

/// <summary>What one GRPO forward/backward measured: the loss, the mean k3 KL to the reference and the fraction of
/// completion tokens whose ratio was clipped (means over completion tokens).</summary>
public sealed record GrpoLossResult(float Loss, float Kl, float ClipFraction, int CompletionTokens);

/// <summary>
/// The GRPO objective as TRL computes it, per completion token t of completion i with advantage Â_i:
/// ρ_t = exp(π_t − π_old,t), ℓ_t = −min(ρ_t·Â_i, clip(ρ_t, 1−ε, 1+ε)·Â_i) + β·k3_t, k3_t = e^{r_t−π_t} − (r_t−π_t) − 1,
/// where π, π_old and r are the log-probabilities of the sampled token under the policy, the policy that sampled it and
/// the frozen reference, all at the sampling temperature (logits / T). The loss is Σ_t w_t·ℓ_t with the token weights of
/// <see cref="GrpoLossType"/>. ∂ℓ/∂π = −ρ·Â where the unclipped branch is the minimum (0 where the clip binds), + β·(1 − e^{r−π}).
/// </summary>
public static class GrpoLoss
{
    public static GrpoTokenTerm Token(double logp, double oldLogp, double refLogp, double advantage, double epsilon, double beta)
    {
        double ratio = Math.Exp(logp - oldLogp);
        double unclipped = ratio * advantage;
        double clipped = Math.Clamp(ratio, 1 - epsilon, 1 + epsilon) * advantage;
        bool binds = clipped < unclipped; // min takes the clipped branch, whose ratio is a constant there
        double loss = -Math.Min(unclipped, clipped), d = binds ? 0 : -unclipped;
        double kl = 0;
        if (beta != 0)
        {
            double delta = refLogp - logp;
            kl = Math.Exp(delta) - delta - 1;
            loss += beta * kl;
            d += beta * (1 - Math.Exp(delta));
        }
        return new GrpoTokenTerm(loss, d, kl, binds);
    }

    /// <summary>w_t for every token of a [rows, seqLen] batch whose completion tokens are its targets.</summary>
    public static float[] TokenWeights(int[] targets, int rows, int seqLen, GrpoLossType type, int maxNewTokens)
    {
        var lengths = new int[rows];
        for (int i = 0; i < targets.Length; i++) if (targets[i] >= 0) lengths[i / seqLen]++;
        long total = lengths.Sum(l => (long)l);
        var w = new float[targets.Length];
        for (int i = 0; i < targets.Length; i++)
        {
            if (targets[i] < 0) continue;
            w[i] = type switch
            {
                GrpoLossType.Grpo => 1f / ((float)lengths[i / seqLen] * rows),
                GrpoLossType.Bnpo => 1f / total,
                _ => 1f / ((float)rows * maxNewTokens),
            };
        }
        return w;
    }

    /// <summary>
    /// The loss of a batch of completions and dL/dπ_t per token (0 off the completions), from per-token log-probabilities
    /// [rows·seqLen]. <paramref name="oldLogp"/> null: the rollouts came from this very policy (ρ = 1, one update per
    /// batch of rollouts); <paramref name="refLogp"/> null needs β = 0.
    /// </summary>
    public static (GrpoLossResult Result, float[] DLogp) Evaluate(float[] logp, float[]? oldLogp, float[]? refLogp, float[] weights,
        int[] targets, float[] advantages, int seqLen, double epsilon, double beta)
    {
        if (beta != 0 && refLogp is null) throw new QuantReasonException("a KL penalty (beta > 0) needs the reference's log-probabilities", "grpo");
        var dlogp = new float[logp.Length];
        double loss = 0, kl = 0;
        int tokens = 0, clipped = 0;
        for (int t = 0; t < logp.Length; t++)
        {
            if (targets[t] < 0) continue;
            var term = Token(logp[t], oldLogp?[t] ?? logp[t], refLogp?[t] ?? 0, advantages[t / seqLen], epsilon, beta);
            loss += weights[t] * term.Loss;
            dlogp[t] = (float)(weights[t] * term.DLogp);
            kl += term.Kl;
            if (term.Clipped) clipped++;
            tokens++;
        }
        return (new GrpoLossResult((float)loss, tokens == 0 ? 0 : (float)(kl / tokens), tokens == 0 ? 0 : (float)clipped / tokens, tokens), dlogp);
    }

    /// <summary>log p(target) per token at temperature T (0 where there is no target); keeps lse of logits/T for the backward.</summary>
    public static float[] TokenLogProbs(float[] logits, int[] targets, int tokens, int vocab, float temperature, out float[] lse)
    {
        if (temperature != 1f) System.Numerics.Tensors.TensorPrimitives.Multiply(logits, 1f / temperature, logits);
        var nll = new float[tokens];
        lse = new float[tokens];
        CrossEntropy.Forward(logits, tokens, vocab, targets, nll, lse);
        for (int t = 0; t < tokens; t++) nll[t] = -nll[t];
        return nll;
    }

    /// <summary>
    /// One forward/backward of the policy on a batch of completions (micro-batches of <paramref name="microBatch"/> rows),
    /// accumulating into its gradients; the reference (when β &gt; 0) runs forward only. Returns the loss of the whole batch.
    /// </summary>
    public static GrpoLossResult ForwardBackward(TrainableModel policy, TrainableModel? reference, GrpoBatch batch, GrpoOptions o,
        int microBatch, float[]? oldLogp = null)
    {
        var all = batch.Tokens;
        all.Validate(policy.Config.VocabSize);
        if (o.Beta > 0 && reference is null) throw new QuantReasonException("a KL penalty (beta > 0) needs a reference model", "grpo");
        int s = all.SeqLen, v = policy.Config.VocabSize;
        var weights = TokenWeights(all.Targets(), all.Batch, s, o.LossType, o.MaxNewTokens);
        double loss = 0, klSum = 0, clipSum = 0;
        int tokens = 0;
        for (int start = 0; start < all.Batch; start += microBatch)
        {
            int rows = Math.Min(microBatch, all.Batch - start);
            var mb = all.Rows(start, rows);
            var targets = mb.Targets();
            int t = mb.Tokens;
            float[]? refLogp = null;
            if (o.Beta > 0)
                refLogp = TokenLogProbs(reference!.Forward(mb.Ids, rows, s), targets, t, v, o.Temperature, out _);
            var logits = policy.Forward(mb.Ids, rows, s);
            var logp = TokenLogProbs(logits, targets, t, v, o.Temperature, out var lse);
            var (r, dlogp) = Evaluate(logp, oldLogp?[(start * s)..((start + rows) * s)], refLogp, weights[(start * s)..((start + rows) * s)],
                targets, batch.Advantages[start..(start + rows)], s, o.Epsilon, o.Beta);
            // logp = −nll of logits/T, so dL/dnll = −dL/dπ and the chain through /T scales by 1/T.
            var ceWeights = new float[t];
            for (int i = 0; i < t; i++) ceWeights[i] = -dlogp[i] / o.Temperature;
            var dlogits = new float[t * v];
            CrossEntropy.Backward(logits, lse, targets, ceWeights, t, v, dlogits);
            policy.Backward(dlogits);
            loss += r.Loss;
            klSum += (double)r.Kl * r.CompletionTokens;
            clipSum += (double)r.ClipFraction * r.CompletionTokens;
            tokens += r.CompletionTokens;
        }
        return new GrpoLossResult((float)loss, tokens == 0 ? 0 : (float)(klSum / tokens), tokens == 0 ? 0 : (float)(clipSum / tokens), tokens);
    }

    /// <summary>Per-token log-probabilities [rows·seqLen] of the batch under a model, without gradients (π_old for μ &gt; 1).</summary>
    public static float[] LogProbs(TrainableModel model, GrpoBatch batch, float temperature, int microBatch)
    {
        var all = batch.Tokens;
        int s = all.SeqLen, v = model.Config.VocabSize;
        var result = new float[all.Tokens];
        for (int start = 0; start < all.Batch; start += microBatch)
        {
            int rows = Math.Min(microBatch, all.Batch - start);
            var mb = all.Rows(start, rows);
            TokenLogProbs(model.Forward(mb.Ids, rows, s), mb.Targets(), mb.Tokens, v, temperature, out _).CopyTo(result, start * s);
        }
        return result;
    }
}
