using QuantReason.Training;

namespace QuantReason.Tests.Training;

public class TrainableModelTests
{
    public static TheoryData<string> Models() => Shared.Folders("fixtures", "training");

    [SharedTheory]
    [MemberData(nameof(Models))]
    public void Loss_and_every_parameter_gradient_match_pytorch(string model)
    {
        using var fx = new TrainingFixture(model);
        var m = TrainableModel.Load(fx.ModelDir);
        m.ZeroGrad();
        var loss = CausalLmLoss.ForwardBackward(m, fx.Batch("input_ids", "loss_mask"));
        TrainingFixture.AssertClose([fx.Scalar("loss")], [loss.Loss], 1e-4, "loss");
        var gradNames = fx.File.Tensors.Keys.Where(k => k.StartsWith("grad.", StringComparison.Ordinal)).ToHashSet();
        Assert.Equal(gradNames.Order(), m.Parameters.Select(p => "grad." + p.Name).Order());
        foreach (var p in m.Parameters)
            TrainingFixture.AssertClose(fx.File.ReadF32("grad." + p.Name, p.Shape), p.Grad!, 1e-4, p.Name);
    }
}
