using QuantReason.Training.Ops;

namespace QuantReason.Training;

/// <summary>The DPO loss of a batch of pairs and the four sequence log-probabilities it came from ([pairs] each).</summary>
public sealed record DpoResult(float Loss, float[] PolicyChosen, float[] PolicyRejected, float[] ReferenceChosen, float[] ReferenceRejected);

/// <summary>
/// Direct preference optimisation, sigmoid form: L = mean over pairs of −log σ(β·((πc − rc) − (πr − rr))), where π is the
/// policy (the model with its LoRA adapters), r the frozen reference (the same model with adapters off), and each term the
/// sum of token log-probs over a sequence's mask[:,1:]. dL/dπc = −β·σ(−z)/N, dL/dπr = +β·σ(−z)/N.
/// With α &gt; 0 (RPO, TRL's <c>rpo_alpha</c>) the loss adds α·(mean NLL of the chosen targets), which keeps DPO from
/// lowering the chosen answers' likelihood along with the rejected ones'.
/// </summary>
public static class DpoLoss
{
    public static DpoResult ForwardBackward(TrainableModel model, TokenBatch chosen, TokenBatch rejected, float beta, float rpoAlpha = 0)
    {
        if (chosen.Batch != rejected.Batch || chosen.SeqLen != rejected.SeqLen)
            throw new QuantReasonException($"chosen [{chosen.Batch}, {chosen.SeqLen}] and rejected [{rejected.Batch}, {rejected.SeqLen}] must have one shape", "dpo");
        if (!(beta > 0)) throw new QuantReasonException($"beta must be positive, got {beta}", "dpo");
        chosen.Validate(model.Config.VocabSize);
        rejected.Validate(model.Config.VocabSize);
        int n = chosen.Batch, s = chosen.SeqLen, v = model.Config.VocabSize;
        // Both halves in one forward: rows [0, n) chosen, [n, 2n) rejected.
        var both = new TokenBatch([.. chosen.Ids, .. rejected.Ids], [.. chosen.LossMask, .. rejected.LossMask], 2 * n, s);
        var targets = both.Targets();
        int t = both.Tokens;

        model.SetLoraEnabled(false);
        var refLogp = SequenceLogProbs(model.Forward(both.Ids, 2 * n, s), targets, 2 * n, s, v, out _, out _);
        model.SetLoraEnabled(true);
        var logits = model.Forward(both.Ids, 2 * n, s);
        var polLogp = SequenceLogProbs(logits, targets, 2 * n, s, v, out var lse, out var polNll);

        double loss = 0;
        var dSeq = new float[2 * n]; // dL/dlogp of each sequence
        for (int i = 0; i < n; i++)
        {
            double z = beta * ((polLogp[i] - refLogp[i]) - (polLogp[n + i] - refLogp[n + i]));
            loss += Softplus(-z) / n;              // −log σ(z)
            double g = beta * Sigmoid(-z) / n;
            dSeq[i] = (float)-g;
            dSeq[n + i] = (float)g;
        }
        // logp = −Σ nll, so dL/dnll[t] = −dL/dlogp of its sequence.
        var weights = new float[t];
        for (int i = 0; i < t; i++) weights[i] = -dSeq[i / s];
        if (rpoAlpha > 0)
        {
            int chosenTargets = 0;
            double nll = 0;
            for (int i = 0; i < n * s; i++) if (targets[i] >= 0) { chosenTargets++; nll += polNll[i]; }
            if (chosenTargets > 0)
            {
                loss += rpoAlpha * nll / chosenTargets;
                for (int i = 0; i < n * s; i++) if (targets[i] >= 0) weights[i] += rpoAlpha / chosenTargets;
            }
        }
        var dlogits = new float[t * v];
        CrossEntropy.Backward(logits, lse, targets, weights, t, v, dlogits);
        model.Backward(dlogits);
        return new DpoResult((float)loss, polLogp[..n], polLogp[n..], refLogp[..n], refLogp[n..]);
    }

    /// <summary>Σ over each row's targets of log p(target) [rows].</summary>
    public static float[] SequenceLogProbs(float[] logits, int[] targets, int rows, int seqLen, int vocab, out float[] lse, out float[] nll)
    {
        int t = rows * seqLen;
        nll = new float[t];
        lse = new float[t];
        CrossEntropy.Forward(logits, t, vocab, targets, nll, lse);
        var logp = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            double sum = 0;
            for (int i = r * seqLen; i < (r + 1) * seqLen; i++) if (targets[i] >= 0) sum -= nll[i];
            logp[r] = (float)sum;
        }
        return logp;
    }

    static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));
    static double Softplus(double x) => x > 0 ? x + Math.Log(1 + Math.Exp(-x)) : Math.Log(1 + Math.Exp(x));
}
