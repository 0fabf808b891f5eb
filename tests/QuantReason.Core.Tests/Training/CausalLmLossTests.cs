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

    public static TheoryData<string> Fixtures() => Shared.Folders("fixtures", "training");

    /// <summary>
    /// Closed forms against PyTorch's gradients on the shared training fixtures. (1) A teacher that puts all its mass on
    /// the target (logit 60 there, 0 elsewhere: softmax = one-hot to e^−60) makes T=1 distillation with α = 1 the
    /// cross-entropy: KL(onehot ‖ p) = −log p_target, gradient p − onehot. (2) A teacher equal to the student makes the KL
    /// term and its gradient vanish: the mixed loss is (1 − α)·CE and the gradient (1 − α)·∇CE.
    /// </summary>
    [SharedTheory]
    [MemberData(nameof(Fixtures))]
    public void Distillation_matches_pytorch_cross_entropy_in_its_closed_forms(string model)
    {
        using var fx = new TrainingFixture(model);
        var batch = fx.Batch("input_ids", "loss_mask");
        var m = TrainableModel.Load(fx.ModelDir);
        int v = m.Config.VocabSize;
        var targets = batch.Targets();
        var onehot = new float[batch.Tokens * v];
        for (int t = 0; t < batch.Tokens; t++) if (targets[t] >= 0) onehot[t * v + targets[t]] = 60f;
        m.ZeroGrad();
        var kd = CausalLmLoss.ForwardBackward(m, batch, teacherLogits: onehot, distillAlpha: 1f, temperature: 1f);
        TrainingFixture.AssertClose([fx.Scalar("loss")], [kd.Loss], 1e-4, "one-hot teacher KD loss");
        foreach (var p in m.Parameters)
            TrainingFixture.AssertClose(fx.File.ReadF32("grad." + p.Name, p.Shape), p.Grad!, 1e-4, p.Name);

        var own = (float[])m.Forward(batch.Ids, batch.Batch, batch.SeqLen).Clone();
        m.ZeroGrad();
        var mixed = CausalLmLoss.ForwardBackward(m, batch, teacherLogits: own, distillAlpha: 0.25f, temperature: 3f);
        TrainingFixture.AssertClose([0.75f * fx.Scalar("loss")], [mixed.Loss], 1e-4, "self-teacher mixed loss");
        foreach (var p in m.Parameters)
            TrainingFixture.AssertClose(fx.File.ReadF32("grad." + p.Name, p.Shape).Select(g => 0.75f * g).ToArray(), p.Grad!, 1e-4, p.Name);
    }
}
