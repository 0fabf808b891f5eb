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

public class LoraMergeTests
{
    [Fact]
    public void Merging_folds_the_adapter_into_the_weight_without_changing_outputs()
    {
        var cfg = TinyConfigs.Of(QuantReason.Models.ArchitectureKind.Qwen2);
        var m = TinyConfigs.RandomModel(cfg, 61);
        m.AddLora(new LoraOptions(3, 6f, ["q_proj", "v_proj", "up_proj"], Seed: 2));
        var rng = new Random(62);
        foreach (var a in m.Adapters) for (int i = 0; i < a.Value.Length; i++) a.Value[i] = (float)(rng.NextDouble() - 0.5);
        var batch = TinyConfigs.Batch(cfg.VocabSize, 2, 6, 63);
        var before = (float[])m.Forward(batch.Ids, 2, 6).Clone();
        m.MergeLora();
        Assert.Empty(m.Adapters);
        var after = m.Forward(batch.Ids, 2, 6);
        TrainingFixture.AssertClose(before, after, 1e-5, "logits after merge");
        Assert.All(m.Parameters, p => Assert.True(p.Trainable));
    }

    [Fact]
    public void Adapter_gradients_match_finite_differences()
    {
        var w = Ops.GradCheck.Random(new Random(70), 9 * 7);
        var lin = new TrainableLinear("m", new Parameter("m.weight", w, 9, 7), null) { Lora = new LoraAdapter("m", 7, 9, 3, 2f, new Random(71)) };
        lin.Weight.Trainable = false;
        var rng = new Random(72);
        for (int i = 0; i < lin.Lora.B.Value.Length; i++) lin.Lora.B.Value[i] = (float)(rng.NextDouble() - 0.5);
        var x = Ops.GradCheck.Random(rng, 5 * 7);
        var r = Ops.GradCheck.Random(rng, 5 * 9);
        var y = new float[5 * 9];
        double Loss() { lin.Forward(x, 5, y); return Ops.GradCheck.Project(y, r); }
        Loss();
        var dx = new float[x.Length];
        lin.Backward(r, 5, dx);
        Ops.GradCheck.Check(lin.Lora.A.Value, Loss, lin.Lora.A.Grad!, "dA");
        Ops.GradCheck.Check(lin.Lora.B.Value, Loss, lin.Lora.B.Grad!, "dB");
        Ops.GradCheck.Check(x, Loss, dx, "dx");
    }

    [Fact]
    public void Targets_that_match_nothing_are_a_clear_error()
    {
        var m = TinyConfigs.RandomModel(TinyConfigs.Of(QuantReason.Models.ArchitectureKind.Llama), 1);
        var e = Assert.Throws<QuantReasonException>(() => m.AddLora(new LoraOptions(4, 8f, ["qproj"])));
        Assert.Contains("qproj", e.Message);
    }
}
