using QuantReason.Training.Ops;

namespace QuantReason.Training;

/// <summary>The loss of one forward/backward: its value and the number of target tokens it averaged over.</summary>
public readonly record struct LossValue(float Loss, int Targets);

/// <summary>
/// Masked next-token cross-entropy, mean over target tokens, optionally mixed with distillation to a teacher's logits:
/// L = (1−α)·CE + α·T²·KL(teacher ‖ student). Runs the forward, computes the loss, and back-propagates it.
/// </summary>
public static class CausalLmLoss
{
    /// <param name="normalizer">Divide by this many targets instead of the batch's own count — the total of all
    /// micro-batches under gradient accumulation, so the accumulated gradient is that of the full batch's mean.</param>
    public static LossValue ForwardBackward(TrainableModel model, TokenBatch batch, int? normalizer = null,
        float[]? teacherLogits = null, float distillAlpha = 0f, float temperature = 1f)
    {
        batch.Validate(model.Config.VocabSize);
        int t = batch.Tokens, v = model.Config.VocabSize;
        var logits = model.Forward(batch.Ids, batch.Batch, batch.SeqLen);
        var targets = batch.Targets();
        var nll = new float[t];
        var lse = new float[t];
        CrossEntropy.Forward(logits, t, v, targets, nll, lse);
        float mean = CrossEntropy.MeanLoss(nll, targets, t, out int count);
        int denom = normalizer ?? count;
        if (denom == 0) return new LossValue(0f, 0);
        var weights = new float[t];
        for (int i = 0; i < t; i++) weights[i] = targets[i] >= 0 ? 1f / denom : 0f;
        float loss = mean;
        float[]? kl = null;
        if (teacherLogits is not null && distillAlpha > 0)
        {
            if (teacherLogits.Length != t * v)
                throw new QuantReasonException($"teacher logits hold {teacherLogits.Length} values, expected [{t}, {v}]", "distillation");
            kl = new float[t];
            KlDivergence.Forward(logits, teacherLogits, t, v, temperature, kl);
            double klSum = 0;
            for (int i = 0; i < t; i++) if (targets[i] >= 0) klSum += kl[i];
            loss = (1 - distillAlpha) * mean + distillAlpha * (float)(klSum / Math.Max(1, count));
        }
        var dlogits = new float[t * v];
        if (kl is not null)
        {
            var ceW = weights.Select(w => w * (1 - distillAlpha)).ToArray();
            var klW = weights.Select(w => w * distillAlpha).ToArray();
            // The KL backward reads the logits, so it runs before the CE backward overwrites them in dlogits.
            KlDivergence.Backward(logits, teacherLogits!, t, v, temperature, klW, dlogits, accumulate: false);
            var ce = new float[t * v];
            CrossEntropy.Backward(logits, lse, targets, ceW, t, v, ce);
            System.Numerics.Tensors.TensorPrimitives.Add(dlogits, ce, dlogits);
        }
        else CrossEntropy.Backward(logits, lse, targets, weights, t, v, dlogits);
        model.Backward(dlogits);
        return new LossValue(loss, count);
    }

    /// <summary>The loss without gradients (evaluation).</summary>
    public static LossValue Evaluate(TrainableModel model, TokenBatch batch)
    {
        batch.Validate(model.Config.VocabSize);
        int t = batch.Tokens, v = model.Config.VocabSize;
        var logits = model.Forward(batch.Ids, batch.Batch, batch.SeqLen);
        var targets = batch.Targets();
        var nll = new float[t];
        var lse = new float[t];
        CrossEntropy.Forward(logits, t, v, targets, nll, lse);
        return new LossValue(CrossEntropy.MeanLoss(nll, targets, t, out int count), count);
    }
}
