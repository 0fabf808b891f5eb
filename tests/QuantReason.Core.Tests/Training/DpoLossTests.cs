using QuantReason.Training;

namespace QuantReason.Tests.Training;

public class DpoLossTests
{
    public static TheoryData<string> Models() => Shared.Folders("fixtures", "training");

    [SharedTheory]
    [MemberData(nameof(Models))]
    public void Dpo_loss_log_probs_and_adapter_gradients_match_pytorch(string model)
    {
        using var fx = new TrainingFixture(model);
        var m = fx.LoraModel();
        m.ZeroGrad();
        var r = DpoLoss.ForwardBackward(m, fx.Batch("dpo.chosen_ids", "dpo.chosen_mask"), fx.Batch("dpo.rejected_ids", "dpo.rejected_mask"), 0.1f);
        TrainingFixture.AssertClose([fx.Scalar("dpo.loss")], [r.Loss], 1e-4, "dpo.loss");
        TrainingFixture.AssertClose(fx.File.ReadF32("dpo.policy_chosen_logp"), r.PolicyChosen, 1e-4, "policy_chosen_logp");
        TrainingFixture.AssertClose(fx.File.ReadF32("dpo.policy_rejected_logp"), r.PolicyRejected, 1e-4, "policy_rejected_logp");
        TrainingFixture.AssertClose(fx.File.ReadF32("dpo.reference_chosen_logp"), r.ReferenceChosen, 1e-4, "reference_chosen_logp");
        TrainingFixture.AssertClose(fx.File.ReadF32("dpo.reference_rejected_logp"), r.ReferenceRejected, 1e-4, "reference_rejected_logp");
        foreach (var a in m.Adapters)
            TrainingFixture.AssertClose(fx.File.ReadF32("dpo.grad." + a.Name, a.Shape), a.Grad!, 1e-4, a.Name);
    }

    /// <summary>RPO adds α × the chosen answers' causal-LM loss: both parts are checked against PyTorch above and in
    /// CausalLmLossTests, so the sum is checked against them, loss and every adapter gradient.</summary>
    [SharedTheory]
    [MemberData(nameof(Models))]
    public void Rpo_is_dpo_plus_alpha_times_the_chosen_nll(string model)
    {
        using var fx = new TrainingFixture(model);
        var (chosen, rejected) = (fx.Batch("dpo.chosen_ids", "dpo.chosen_mask"), fx.Batch("dpo.rejected_ids", "dpo.rejected_mask"));
        const float alpha = 0.7f;
        var m = fx.LoraModel();
        float[][] Grads() => m.Adapters.Select(a => (float[])a.Grad!.Clone()).ToArray();
        m.ZeroGrad();
        var dpo = DpoLoss.ForwardBackward(m, chosen, rejected, 0.1f);
        var gDpo = Grads();
        m.ZeroGrad();
        var ce = CausalLmLoss.ForwardBackward(m, chosen);
        var gCe = Grads();
        m.ZeroGrad();
        var rpo = DpoLoss.ForwardBackward(m, chosen, rejected, 0.1f, alpha);
        TrainingFixture.AssertClose([dpo.Loss + alpha * ce.Loss], [rpo.Loss], 1e-5, "rpo loss");
        var gRpo = Grads();
        for (int i = 0; i < gRpo.Length; i++)
            TrainingFixture.AssertClose(gDpo[i].Zip(gCe[i], (d, c) => d + alpha * c).ToArray(), gRpo[i], 1e-5, $"rpo grad {i}");
    }
}
