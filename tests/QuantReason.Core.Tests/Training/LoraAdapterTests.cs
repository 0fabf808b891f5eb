using QuantReason.Training;

namespace QuantReason.Tests.Training;

public class LoraAdapterTests
{
    public static TheoryData<string> Models() => Shared.Folders("fixtures", "training");

    [SharedTheory]
    [MemberData(nameof(Models))]
    public void Lora_loss_and_adapter_gradients_match_pytorch(string model)
    {
        using var fx = new TrainingFixture(model);
        var m = fx.LoraModel();
        m.ZeroGrad();
        var loss = CausalLmLoss.ForwardBackward(m, fx.Batch("input_ids", "loss_mask"));
        TrainingFixture.AssertClose([fx.Scalar("lora.loss")], [loss.Loss], 1e-4, "lora.loss");
        Assert.All(m.Parameters, p => Assert.False(p.Trainable));
        int n = 0;
        foreach (var a in m.Adapters)
        {
            TrainingFixture.AssertClose(fx.File.ReadF32("lora.grad." + a.Name, a.Shape), a.Grad!, 1e-4, a.Name);
            n++;
        }
        Assert.Equal(fx.File.Tensors.Keys.Count(k => k.StartsWith("lora.grad.", StringComparison.Ordinal)), n);
    }
}
