using QuantReason.Kernels;
using QuantReason.Models;
using QuantReason.Training;

namespace QuantReason.Tests.Training;

public class TrainerTests
{
    // A learnable corpus: counting sequences "k, k+1, k+2, …" (mod vocab) of varied lengths.
    static TokenSequenceSource Counting(int vocab, int seed, int count = 64)
    {
        var rng = new Random(seed);
        var seqs = Enumerable.Range(0, count).Select(_ =>
        {
            int start = rng.Next(vocab), len = rng.Next(6, 13);
            return Enumerable.Range(0, len).Select(i => (start + i) % vocab).ToArray();
        }).ToList();
        return new TokenSequenceSource(seqs, padId: 0, maxLength: 12, seed);
    }

    static TrainerOptions Options(int steps = 6, int micro = 4) => new()
    {
        Steps = steps, BatchSize = 8, MicroBatchSize = micro, LearningRate = 1e-2f, WarmupSteps = 2, Seed = 5,
        AdamW = new AdamWOptions(0.9f, 0.95f, 1e-8f, 0.01f),
    };

    [Fact]
    public void A_small_llama_learns_to_count_from_scratch()
    {
        var cfg = TinyConfigs.Of(ArchitectureKind.Llama, vocab: 11);
        var trainer = Trainer.FromScratch(cfg, Options(steps: 60));
        var log = trainer.Run(Counting(11, 1), NullProgress.Instance);
        Assert.Equal(60, log.Count);
        Assert.True(log.TakeLast(5).Average(s => s.Loss) < 0.5 * log[0].Loss, $"loss {log[0].Loss} → {log[^1].Loss}");
        Assert.Equal(60, trainer.Optimizer.Step);
    }

    [Fact]
    public void Runs_are_bit_identical_for_a_seed_and_independent_of_the_thread_count()
    {
        float[][] Train(int threads)
        {
            using var scope = KernelThreads.Use(threads);
            var t = Trainer.FromScratch(TinyConfigs.Of(ArchitectureKind.Qwen3), Options());
            t.Run(Counting(13, 2), NullProgress.Instance);
            return t.Model.Parameters.Select(p => (float[])p.Value.Clone()).ToArray();
        }
        var a = Train(2);
        var b = Train(2);
        var c = Train(1);
        for (int i = 0; i < a.Length; i++) { Assert.Equal(a[i], b[i]); Assert.Equal(a[i], c[i]); }
    }

    [Fact]
    public void Gradient_accumulation_equals_one_large_batch()
    {
        var cfg = TinyConfigs.Of(ArchitectureKind.Qwen2);
        var one = Trainer.FromScratch(cfg, Options(steps: 2, micro: 8));
        var four = Trainer.FromScratch(cfg, Options(steps: 2, micro: 2));
        var r1 = one.Step(Counting(13, 3));
        var r4 = four.Step(Counting(13, 3));
        Assert.Equal(r1.Loss, r4.Loss, 5);
        Assert.Equal(r1.GradNorm, r4.GradNorm, 4);
        foreach (var (p, q) in one.Model.Parameters.Zip(four.Model.Parameters))
            TrainingFixture.AssertClose(p.Grad!, q.Grad!, 1e-4, p.Name);
    }

    [Fact]
    public void Resuming_from_a_checkpoint_continues_exactly()
    {
        var cfg = TinyConfigs.Of(ArchitectureKind.Llama);
        var dir = Path.Combine(Path.GetTempPath(), "qr-trainer-" + Guid.NewGuid().ToString("N"));
        try
        {
            var straight = Trainer.FromScratch(cfg, Options(steps: 6));
            straight.Run(Counting(13, 4), NullProgress.Instance);

            var first = Trainer.FromScratch(cfg, Options(steps: 6));
            var src = Counting(13, 4);
            for (int i = 0; i < 3; i++) first.Step(src);
            first.SaveCheckpoint(dir, src);

            var resumed = Trainer.FromScratch(cfg with { }, Options(steps: 6) with { Seed = 99 }); // different init, overwritten
            var src2 = Counting(13, 4);
            resumed.Resume(dir, src2);
            Assert.Equal(3, resumed.StepsDone);
            resumed.Run(src2, NullProgress.Instance);
            foreach (var (p, q) in straight.Model.Parameters.Zip(resumed.Model.Parameters)) Assert.Equal(p.Value, q.Value);
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [Fact]
    public void Quantization_aware_training_runs_the_fake_quantized_forward()
    {
        var cfg = TinyConfigs.Of(ArchitectureKind.Llama, vocab: 11);
        var opts = Options(steps: 30) with { FakeQuant = new FakeQuantOptions(4, 8) };
        var trainer = Trainer.FromScratch(cfg, opts);
        var log = trainer.Run(Counting(11, 6), NullProgress.Instance);
        Assert.True(log.TakeLast(5).Average(s => s.Loss) < log[0].Loss, "QAT loss did not fall");
        foreach (var l in trainer.Model.Linears)
            Assert.Equal(FakeQuantizer.Dequantize(FakeQuantizer.Quantize(l.Weight.Value, l.Out, l.In, opts.FakeQuant!)), l.ForwardWeight());
    }

    [Fact]
    public void W4A4KV4_quantization_aware_training_learns_through_the_straight_through_estimators()
    {
        var cfg = TinyConfigs.Of(ArchitectureKind.Llama, vocab: 11);
        var opts = Options(steps: 30) with
        {
            FakeQuant = new FakeQuantOptions(4, 8),
            Activations = new QuantReason.Weights.ActivationScheme(4),
            KvCache = new QuantReason.Weights.ActivationScheme(4),
        };
        var trainer = Trainer.FromScratch(cfg, opts);
        Assert.All(trainer.Model.Linears, l => Assert.Equal(opts.Activations, l.InputQuant));
        Assert.All(trainer.Model.Layers, l => Assert.Equal(new QuantReason.Weights.ActivationScheme(4, cfg.HeadDim), l.Attention.KvQuant));
        var log = trainer.Run(Counting(11, 6), NullProgress.Instance);
        Assert.True(log.TakeLast(5).Average(s => s.Loss) < log[0].Loss, $"W4A4KV4 QAT loss did not fall: {log[0].Loss} → {log[^1].Loss}");
    }

    [Fact]
    public void Bad_options_are_rejected_once_with_the_setting_named()
    {
        var cfg = TinyConfigs.Of(ArchitectureKind.Llama);
        var e = Assert.Throws<QuantReasonException>(() => Trainer.FromScratch(cfg, Options() with { MicroBatchSize = 3 }));
        Assert.Contains("micro-batch", e.Message);
        Assert.Throws<QuantReasonException>(() => Trainer.FromScratch(cfg, Options() with { WarmupSteps = 100 }));
    }
}

public class TrainerMicroBatchTests
{
    [Fact]
    public void Length_sorted_micro_batches_cut_after_the_last_target_give_the_full_batch_gradient()
    {
        var cfg = TinyConfigs.Of(ArchitectureKind.Llama, vocab: 13);
        var batch = TinyConfigs.Batch(13, rows: 8, seq: 12, seed: 4);
        // Rows of different lengths: targets stop early in most rows, as padding does.
        var mask = batch.LossMask.ToArray();
        for (int r = 0; r < 8; r++) for (int j = 3 + r; j < 12; j++) mask[r * 12 + j] = 0;
        batch = batch with { LossMask = mask };
        int total = batch.TargetCount;

        var full = TinyConfigs.RandomModel(cfg, 9);
        full.ZeroGrad();
        var lf = CausalLmLoss.ForwardBackward(full, batch);
        var split = TinyConfigs.RandomModel(cfg, 9);
        split.ZeroGrad();
        double loss = 0;
        int tokens = 0;
        var micros = Trainer.MicroBatches(batch, 3).ToList();
        foreach (var m in micros)
        {
            var l = CausalLmLoss.ForwardBackward(split, m, normalizer: total);
            loss += (double)l.Loss * l.Targets;
            tokens += m.Tokens;
        }
        Assert.Equal(3, micros.Count);
        Assert.True(tokens < batch.Tokens, $"{tokens} processed of {batch.Tokens}");
        Assert.Equal(total, micros.Sum(m => m.TargetCount));
        Assert.Equal(lf.Loss, loss / total, 5);
        foreach (var (a, b) in full.Parameters.Zip(split.Parameters))
        {
            float maxAbs = a.Grad!.Max(MathF.Abs), diff = a.Grad!.Zip(b.Grad!, (x, y) => MathF.Abs(x - y)).Max();
            Assert.True(diff <= 1e-5f * maxAbs + 1e-9f, $"{a.Name}: {diff} vs {maxAbs}");
        }
    }
}
