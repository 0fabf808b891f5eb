using System.Diagnostics;
using System.Text.Json;
using QuantReason.Kernels;
using QuantReason.Training;

namespace QuantReason.Bench;

/// <summary>
/// Quantization-aware training step against the full-precision step on the StepMath-sized model (<see cref="TrainBench"/>'s
/// shape), in the same run on the same threads: plain SFT, then 2-bit g32 fake quantization (STE), then the same with
/// distillation from a full-precision teacher (an extra teacher forward per micro-batch). Each variant's best step of
/// N, interleaved round by round so host load hits every variant alike. ratio = fake-quant tokens/s ÷ fp tokens/s
/// (the floor: 0.75). Options: --json, --threads N (2), --steps N (5), --batch N (128), --seq N (96), --micro N (64), --bits N (2).
/// </summary>
public static class QatBench
{
    public static int Run(string[] args)
    {
        bool json = BenchUtil.Json(args);
        int Arg(string name, int def) => int.Parse(BenchUtil.Arg(args, name, def.ToString(System.Globalization.CultureInfo.InvariantCulture)), System.Globalization.CultureInfo.InvariantCulture);
        int threads = Arg("--threads", 2), steps = Arg("--steps", 5), batch = Arg("--batch", 128), seq = Arg("--seq", 96), micro = Arg("--micro", 64), bits = Arg("--bits", 2);
        using var threadScope = KernelThreads.Use(threads);
        var cfg = TrainBench.StepMathSized();
        var baseOpts = new TrainerOptions { Steps = 1000, BatchSize = batch, MicroBatchSize = Math.Min(micro, batch), WarmupSteps = 1, LearningRate = 1e-3f };
        var fq = new FakeQuantOptions(bits, 32);
        var variants = new (string Name, Trainer Trainer)[]
        {
            ("fp", Trainer.FromScratch(cfg, baseOpts)),
            ("fake_quant", Trainer.FromScratch(cfg, baseOpts with { FakeQuant = fq })),
            ("fake_quant_kd", new Trainer(TrainableModel.Create(cfg, 0), baseOpts with { FakeQuant = fq, Distill = new DistillOptions(1f, 1f) },
                TrainableModel.Create(cfg, 1))),
        };
        var sources = variants.Select(_ => new TrainBench.RandomTokens(cfg.VocabSize, seq, seed: 1)).ToArray();
        for (int v = 0; v < variants.Length; v++)
            for (int i = 0; i < 2; i++) variants[v].Trainer.Step(sources[v]); // warm-up: buffers and tiered JIT
        var best = new double[variants.Length];
        Array.Fill(best, double.MaxValue);
        long tokensPerStep = 0;
        for (int round = 0; round < steps; round++)
            for (int v = 0; v < variants.Length; v++)
            {
                var sw = Stopwatch.StartNew();
                tokensPerStep = variants[v].Trainer.Step(sources[v]).Tokens;
                best[v] = Math.Min(best[v], sw.Elapsed.TotalSeconds);
            }
        double Tps(int v) => tokensPerStep / best[v];
        var result = new
        {
            benchmark = "qat_step",
            threads, batch, seq_len = seq, micro_batch = baseOpts.MicroBatchSize, bits, group_size = 32, steps,
            fp_tokens_per_s = Tps(0),
            fake_quant_tokens_per_s = Tps(1),
            fake_quant_kd_tokens_per_s = Tps(2),
            kd_ratio = Tps(2) / Tps(0),
            limit = 0.75,
            ratio = Tps(1) / Tps(0),
        };
        if (json) Console.WriteLine(JsonSerializer.Serialize(result));
        else
        {
            Console.WriteLine($"{threads} threads, batch {batch}×{seq}, W{bits}g32 fake quantization");
            Console.WriteLine($"fp step {result.fp_tokens_per_s:F0} tokens/s; fake-quant {result.fake_quant_tokens_per_s:F0} (ratio {result.ratio:F2}, floor 0.75); with KD teacher {result.fake_quant_kd_tokens_per_s:F0} ({result.kd_ratio:F2})");
        }
        return 0;
    }
}
