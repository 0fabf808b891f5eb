using QuantReason.Models;
using QuantReason.Training;

namespace QuantReason.Tests.Training;

public class CausalLmLossTests
{
    [Fact]
    public void Distillation_gradient_matches_finite_differences()
    {
        var cfg = TinyConfigs.Of(ArchitectureKind.Llama);
        var m = TinyConfigs.RandomModel(cfg, 81);
        var batch = TinyConfigs.Batch(cfg.VocabSize, 2, 6, 82);
        var teacher = Ops.GradCheck.Random(new Random(83), batch.Tokens * cfg.VocabSize, 3f);
        m.ZeroGrad();
        CausalLmLoss.ForwardBackward(m, batch, teacherLogits: teacher, distillAlpha: 0.7f, temperature: 2f);
        var checkedParams = new[] { m.Embed, m.Layers[1].Down.Weight, m.FinalNorm };
        var grads = checkedParams.Select(p => p.Grad!.ToArray()).ToArray(); // before the loss calls below add to them
        foreach (var (p, grad) in checkedParams.Zip(grads))
        {
            var idx = Enumerable.Range(0, 5).Select(i => (i * 7919) % p.Value.Length).Distinct().ToArray();
            var view = idx.Select(i => p.Value[i]).ToArray();
            var analytic = idx.Select(i => grad[i]).ToArray();
            double Loss()
            {
                for (int j = 0; j < idx.Length; j++) p.Value[idx[j]] = view[j];
                return CausalLmLoss.ForwardBackward(m, batch, teacherLogits: teacher, distillAlpha: 0.7f, temperature: 2f).Loss;
            }
            Ops.GradCheck.Check(view, Loss, analytic, p.Name, eps: 1e-2f, tol: 3e-2);
            for (int j = 0; j < idx.Length; j++) p.Value[idx[j]] = view[j];
        }
    }

    [Fact]
    public void Distilling_toward_ones_own_logits_adds_no_loss()
    {
        var cfg = TinyConfigs.Of(ArchitectureKind.Qwen3);
        var m = TinyConfigs.RandomModel(cfg, 91);
        var batch = TinyConfigs.Batch(cfg.VocabSize, 2, 5, 92);
        var own = (float[])m.Forward(batch.Ids, 2, 5).Clone();
        var ce = CausalLmLoss.Evaluate(m, batch).Loss;
        var mixed = CausalLmLoss.ForwardBackward(m, batch, teacherLogits: own, distillAlpha: 0.5f).Loss;
        Assert.Equal(0.5 * ce, mixed, 5);
    }
}
