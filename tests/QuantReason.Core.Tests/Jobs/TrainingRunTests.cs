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

    [Fact]
    public async Task Qlora_over_a_gptq_checkpoint_with_new_tokens_saves_a_peft_adapter_and_evaluates_it_unmerged()
    {
        var baseDir = Base();
        var gptq = Path.Combine(_dir, "gptq");
        QuantReason.Quantization.Model.ModelQuantizer.Run(baseDir, gptq, QuantReason.Quantization.Model.QuantizeOptions.Create(
            QuantReason.Quantization.Model.QuantMethod.Gptq, 4, -1, calibration: new QuantReason.Quantization.Model.CalibrationOptions("stepmath", 8, 32, ChatTemplate: true)));
        int baseVocab = QuantReason.Models.ModelConfig.Load(gptq).VocabSize;
        var yaml = """
            base_model: gptq
            new_tokens: ["<check>", "</check>"]
            data: {stepmath: {split: train, seed: 3, count: 100}}
            lora: {rank: 4, targets: [q_proj, v_proj, down_proj]}
            optimizer: {lr: 1.0e-2}
            batch_size: 8
            steps: 4
            checkpoint_every: 2
            output_dir: qlora-gptq
            eval: {split: test, problems_per_level: 1, max_new_tokens: 24}
            """;
        var run = TrainingRun.Prepare(TrainConfig.Load(Config("qlora-gptq.yaml", yaml)));
        Assert.True(run.OverPackedBase);
        Assert.All(run.Trainer.Model.Linears, l => Assert.IsType<QuantReason.Weights.QuantizedLinear>(l.FrozenBase));
        Assert.Equal([baseVocab, baseVocab + 1], run.NewTokenIds);
        Assert.Equal(baseVocab + 2, run.Trainer.Model.Config.VocabSize);
        Assert.True(run.Trainer.Model.TokenEmbedRows!.Trainable);
        Assert.False(run.Trainer.Model.Embed.Trainable);
        var log = run.Train(NullProgress.Instance);
        Assert.Equal(4, log.Count);
        Assert.All(log, s => Assert.True(float.IsFinite(s.Loss)));
        run.Export();

        var outDir = Path.Combine(_dir, "qlora-gptq");
        Assert.False(File.Exists(Path.Combine(outDir, "model.safetensors"))); // the packed base is not merged
        Assert.True(File.Exists(Path.Combine(outDir, "adapter_config.json")));
        var applied = QuantReason.Runtime.Model.Load(gptq, outDir);
        var q = Assert.IsType<QuantReason.Weights.LoraLinear>(applied.Weights.Layers[0].Q);
        Assert.IsType<QuantReason.Weights.QuantizedLinear>(q.Base);
        Assert.Equal(baseVocab + 2, applied.Config.VocabSize);
        var oldRows = QuantReason.Runtime.Model.Load(gptq).Weights.Embedding.ToF32();
        Assert.Equal(oldRows, applied.Weights.Embedding.ToF32().AsSpan(0, oldRows.Length).ToArray());
        Assert.Equal(baseVocab + 2, QuantReason.Tokenizers.TokenizerLoader.FromDirectory(QuantReason.Runtime.Model.TokenizerDirectory(gptq, outDir)).VocabSize);

        await run.EvaluateAsync(NullProgress.Instance);
        var manifest = QuantReason.Evaluation.Runs.RunDirectory.ReadManifest(run.EvalDir);
        Assert.Equal("qlora", manifest.Training!.Method);
        using (var f = File.OpenRead(Path.Combine(outDir, "adapter_model.safetensors")))
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(f)), manifest.Adapter!.Digest);

        // an interrupted run resumes from its adapter checkpoint to the same adapter
        var cfg = TrainConfig.Load(Config("qlora-gptq.yaml", yaml), Path.Combine(_dir, "qlora-gptq2"));
        using var cts = new CancellationTokenSource();
        TrainingRun.Prepare(cfg).Train(NullProgress.Instance, s => { if (s.Step == 2) cts.Cancel(); }, cts.Token);
        var resumed = TrainingRun.Prepare(cfg);
        Assert.Equal(2, resumed.ResumedFrom);
        resumed.Train(NullProgress.Instance);
        resumed.Export();
        Assert.Equal(File.ReadAllBytes(Path.Combine(outDir, "adapter_model.safetensors")),
            File.ReadAllBytes(Path.Combine(_dir, "qlora-gptq2", "adapter_model.safetensors")));
    }

    [Fact]
    public void A_quantized_base_without_lora_is_refused()
    {
        var baseDir = Base();
        var rtn = Path.Combine(_dir, "rtn");
        QuantReason.Quantization.Model.ModelQuantizer.Run(baseDir, rtn, QuantReason.Quantization.Model.QuantizeOptions.Create(QuantReason.Quantization.Model.QuantMethod.Rtn, 4, -1));
        var e = Assert.Throws<QuantReasonException>(() => TrainingRun.Prepare(TrainConfig.Load(Config("full.yaml", """
            base_model: rtn
            data: {stepmath: {split: train, seed: 3, count: 20}}
            batch_size: 4
            steps: 1
            output_dir: full
            """))));
        Assert.Contains("lora", e.Message);
    }
}
