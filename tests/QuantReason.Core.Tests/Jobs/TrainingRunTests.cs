using QuantReason.Training;
using QuantReason.Data.StepMath;
using QuantReason.Jobs;
using QuantReason.Tests;
using QuantReason.Tests.Training;

namespace QuantReason.Tests.Jobs;

public class TrainingRunTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("qr-trainrun-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    string Config(string name, string yaml)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    /// <summary>A tiny base model trained for a few SFT steps, exported as a Hugging Face checkpoint.</summary>
    string Base()
    {
        var run = TrainingRun.Prepare(TrainConfig.Load(Config("base.yaml", """
            model: {hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 48}
            data: {stepmath: {split: train, seed: 2, count: 200}}
            optimizer: {lr: 1.0e-2}
            batch_size: 8
            steps: 4
            output_dir: base
            """)));
        run.Train(NullProgress.Instance);
        run.Export();
        return Path.Combine(_dir, "base");
    }

    [Fact]
    public void Dpo_with_lora_raises_the_chosen_over_rejected_margin_and_resumes_exactly()
    {
        var baseDir = Base();
        // Chosen: the right solution; rejected: the same steps with a wrong final answer. Every step sees all 16 pairs.
        var lines = new StepMathGenerator(5).Generate(StepMathSplit.Train, 16).Select(i =>
        {
            var wrong = i.Problem.Solution.Replace($"\\boxed{{{i.Problem.Answer}}}", $"\\boxed{{{i.Problem.Answer + 1}}}");
            return System.Text.Json.JsonSerializer.Serialize(new { prompt = i.Problem.Text, chosen = i.Problem.Solution, rejected = wrong });
        });
        File.WriteAllLines(Path.Combine(_dir, "pairs.jsonl"), lines);
        var yaml = """
            base_model: base
            data: {}
            lora: {rank: 4, alpha: 8, targets: [q_proj, v_proj, down_proj]}
            dpo: {pairs: pairs.jsonl, beta: 0.5}
            optimizer: {lr: 2.0e-2, weight_decay: 0}
            batch_size: 16
            steps: 6
            checkpoint_every: 2
            output_dir: dpo
            """;
        var straight = TrainingRun.Prepare(TrainConfig.Load(Config("dpo.yaml", yaml)));
        Assert.Equal(0.5f, straight.Trainer.Options.DpoBeta);
        var log = straight.Train(NullProgress.Instance);
        Assert.Equal(6, log.Count);
        Assert.Equal(MathF.Log(2), log[0].Loss, 4); // adapters start at zero: policy = reference
        Assert.True(log[^1].Loss < log[0].Loss - 0.05, string.Join(", ", log.Select(s => s.Loss)));

        var cfg = TrainConfig.Load(Config("dpo.yaml", yaml), Path.Combine(_dir, "dpo2"));
        using var cts = new CancellationTokenSource();
        TrainingRun.Prepare(cfg).Train(NullProgress.Instance, s => { if (s.Step == 3) cts.Cancel(); }, cts.Token);
        Assert.True(File.Exists(Path.Combine(_dir, "dpo2", "checkpoint", "adapter_model.safetensors")));
        var resumed = TrainingRun.Prepare(cfg);
        Assert.Equal(3, resumed.ResumedFrom);
        resumed.Train(NullProgress.Instance);
        straight.Export();
        resumed.Export();
        Assert.Equal(File.ReadAllBytes(Path.Combine(_dir, "dpo", "model.safetensors")), File.ReadAllBytes(Path.Combine(_dir, "dpo2", "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(_dir, "dpo", "adapter_model.safetensors")));
        QuantReason.Runtime.Model.Load(Path.Combine(_dir, "dpo"));
    }

    [Fact]
    public void Qlora_sft_trains_adapters_on_an_int4_base_and_merges_them()
    {
        var baseDir = Base();
        var run = TrainingRun.Prepare(TrainConfig.Load(Config("qlora.yaml", """
            base_model: base
            data: {stepmath: {split: train, seed: 3, count: 100}}
            lora: {rank: 4}
            qlora: {group_size: 16}
            optimizer: {lr: 1.0e-2}
            batch_size: 8
            steps: 3
            output_dir: qlora
            """)));
        Assert.All(run.Trainer.Model.Linears, l => Assert.NotNull(l.FrozenBase));
        Assert.All(run.Trainer.Model.Parameters, p => Assert.False(p.Trainable));
        var log = run.Train(NullProgress.Instance);
        Assert.Equal(3, log.Count);
        run.Export();
        var merged = TrainableModel.Load(Path.Combine(_dir, "qlora"));
        var original = TrainableModel.Load(baseDir);
        // Merged = dequantized int4 base + LoRA delta: differs from the f32 base, by about the int4 rounding.
        var w0 = original.Linears[0].Weight.Value;
        var w1 = merged.Linears[0].Weight.Value;
        Assert.NotEqual(w0, w1);
    }
}
