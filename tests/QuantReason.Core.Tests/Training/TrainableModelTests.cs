using QuantReason.Models;
using QuantReason.Tensors;
using QuantReason.Training;

namespace QuantReason.Tests.Training;

public class TrainableModelTests(Xunit.Abstractions.ITestOutputHelper output)
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

    public static TheoryData<string> AllModels() => Shared.Folders("fixtures", "models");

    [SharedTheory]
    [MemberData(nameof(AllModels))]
    public void Forward_logits_match_transformers_for_every_reference_model(string model)
    {
        // The only outside check of Qwen2's q/k/v biases in the trainer's forward (no gradient fixture exists for it).
        var dir = Shared.PathOf("fixtures", "models", model);
        using var reference = SafeTensorsFile.Open(Path.Combine(dir, "reference.safetensors"));
        bool bf16 = File.ReadAllText(Path.Combine(dir, "reference.json")).Contains("bfloat16");
        var ids = reference.ReadI32("input_ids");
        var m = TrainableModel.Load(dir);
        var logits = m.Forward(ids, 1, ids.Length);
        // transformers ran the bf16 model in bf16; the trainer computes in f32 from the same weights.
        TrainingFixture.AssertClose(reference.ReadF32("logits"), logits, bf16 ? 5e-2 : 1e-4, $"{model} logits");
    }

    [Theory]
    [InlineData(ArchitectureKind.Llama)]
    [InlineData(ArchitectureKind.Qwen2)]
    [InlineData(ArchitectureKind.Qwen3)]
    public void Every_parameter_gradient_matches_finite_differences(ArchitectureKind kind)
    {
        var cfg = TinyConfigs.Of(kind);
        var m = TinyConfigs.RandomModel(cfg, 21);
        var batch = TinyConfigs.Batch(cfg.VocabSize, 2, 7, 22);
        m.ZeroGrad();
        CausalLmLoss.ForwardBackward(m, batch);
        var rng = new Random(23);
        foreach (var p in m.Parameters)
        {
            // A sample of entries per tensor keeps this fast; every tensor (biases, q/k norms, tied head) is covered.
            var idx = Enumerable.Range(0, 6).Select(_ => rng.Next(p.Value.Length)).Distinct().ToArray();
            var analytic = idx.Select(i => p.Grad![i]).ToArray();
            var view = idx.Select(i => p.Value[i]).ToArray();
            double Loss()
            {
                for (int j = 0; j < idx.Length; j++) p.Value[idx[j]] = view[j];
                return CausalLmLoss.Evaluate(m, batch).Loss;
            }
            Ops.GradCheck.Check(view, Loss, analytic, $"{kind} {p.Name}", eps: 1e-2f, tol: 3e-2);
            for (int j = 0; j < idx.Length; j++) p.Value[idx[j]] = view[j];
        }
    }

    [Fact]
    public void Save_then_load_round_trips_weights_and_config()
    {
        var cfg = TinyConfigs.Of(ArchitectureKind.Qwen2);
        var m = TinyConfigs.RandomModel(cfg, 31);
        var dir = Path.Combine(Path.GetTempPath(), "qr-train-" + Guid.NewGuid().ToString("N"));
        try
        {
            m.Save(dir);
            var back = TrainableModel.Load(dir);
            Assert.Equal(cfg with { EosTokenIds = back.Config.EosTokenIds, TorchDType = QuantReason.Tensors.DType.F32 }, back.Config);
            Assert.Equal(m.Parameters.Select(p => p.Name), back.Parameters.Select(p => p.Name));
            foreach (var (a, b) in m.Parameters.Zip(back.Parameters)) Assert.Equal(a.Value, b.Value);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void A_config_with_impossible_shapes_is_one_clear_error()
    {
        var e = Assert.Throws<QuantReasonException>(() => TrainableModel.Create(TinyConfigs.Of(ArchitectureKind.Llama) with { NumKvHeads = 3 }, 1));
        Assert.Contains("num_key_value_heads", e.Message);
        var odd = Assert.Throws<QuantReasonException>(() => TrainableModel.Create(TinyConfigs.Of(ArchitectureKind.Llama) with { HeadDim = 5 }, 1));
        Assert.Contains("head_dim", odd.Message);
    }

    [Fact]
    public void A_checkpoint_that_does_not_match_its_config_is_one_clear_error()
    {
        var cfg = TinyConfigs.Of(ArchitectureKind.Llama);
        var dir = Path.Combine(Path.GetTempPath(), "qr-train-" + Guid.NewGuid().ToString("N"));
        try
        {
            TinyConfigs.RandomModel(cfg, 41).Save(dir);
            // Claim a wider MLP than the weights have.
            HfConfigJson.Write(cfg with { IntermediateSize = 32 }, Path.Combine(dir, "config.json"));
            var e = Assert.Throws<QuantReasonException>(() => TrainableModel.Load(dir));
            Assert.Contains("mlp.gate_proj.weight", e.Message);
            Assert.Contains("expected [32, 16]", e.Message);
            // Weights of another architecture (Qwen2 biases) under a Llama config.
            TinyConfigs.RandomModel(TinyConfigs.Of(ArchitectureKind.Qwen2), 42).Save(dir);
            HfConfigJson.Write(cfg, Path.Combine(dir, "config.json"));
            var extra = Assert.Throws<QuantReasonException>(() => TrainableModel.Load(dir));
            Assert.Contains("bias", extra.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void A_token_outside_the_vocabulary_names_its_row_and_position()
    {
        var cfg = TinyConfigs.Of(ArchitectureKind.Llama);
        var m = TinyConfigs.RandomModel(cfg, 51);
        var batch = new TokenBatch([1, 2, 3, 4, 99, 5], [1, 1, 1, 1, 1, 1], 2, 3);
        var e = Assert.Throws<QuantReasonException>(() => CausalLmLoss.ForwardBackward(m, batch));
        Assert.Contains("row 1, position 1", e.Message);
    }
    [Fact]
    public void A_qlora_base_keeps_only_its_int4_codes_and_scales_and_merges_to_what_training_computed()
    {
        var cfg = TinyConfigs.Of(ArchitectureKind.Llama) with { HiddenSize = 256, IntermediateSize = 688, NumHeads = 8, NumKvHeads = 8, HeadDim = 32 };
        long Retained(Func<TrainableModel> build)
        {
            GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
            long before = GC.GetTotalMemory(true);
            var m = build();
            long after = GC.GetTotalMemory(true);
            GC.KeepAlive(m);
            return after - before;
        }
        var targets = new[] { "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj" };
        long lora = Retained(() => { var m = TrainableModel.Create(cfg, 1); m.AddLora(new LoraOptions(8, 16, targets)); return m; });
        long qlora = Retained(() => { var m = TrainableModel.Create(cfg, 1); m.QuantizeBase(64); m.AddLora(new LoraOptions(8, 16, targets)); return m; });
        long linearWeights = cfg.NumLayers * (4L * 256 * 256 + 3L * 256 * 688);
        output.WriteLine($"retained: LoRA on f32 base {lora:N0} B, QLoRA on int4 base {qlora:N0} B, {linearWeights:N0} linear weights");
        // f32 base: 4 bytes per linear weight; int4 base: 0.5 + 4/64 bytes. Adapters, norms and embeddings are the same in both.
        Assert.True(lora - qlora > 3.2 * linearWeights, $"LoRA {lora:N0} B, QLoRA {qlora:N0} B, {linearWeights:N0} linear weights");

        var m = TinyConfigs.RandomModel(TinyConfigs.Of(ArchitectureKind.Llama), 2);
        m.QuantizeBase(8);
        m.AddLora(new LoraOptions(2, 4f, ["q_proj"], Seed: 1));
        var batch = TinyConfigs.Batch(13, 2, 8, 3);
        var logits = (float[])m.Forward(batch.Ids, 2, 8).Clone();
        Assert.Throws<QuantReasonException>(() => m.Save(Path.GetTempPath()));
        m.MergeLora();
        Assert.Equal(logits, m.Forward(batch.Ids, 2, 8)); // every linear, adapted or not, keeps the int4 weights it trained with
    }
}
