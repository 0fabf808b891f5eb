using System.Diagnostics;
using System.Runtime.Intrinsics;
using System.Text.Json;
using QuantReason.Kernels;
using QuantReason.Models;
using QuantReason.Training;

namespace QuantReason.Bench;

/// <summary>
/// Training-step throughput of the 0.76M-parameter StepMath-sized Llama (hidden 128, 4 layers, 4 heads, SwiGLU 320, tied
/// embeddings, vocab 32; batch 256 × 96 tokens) against the f32 FMA peak measured in the same run on the same threads.
/// Options: --json, --threads N (2), --steps N (6), --batch N (256), --seq N (96), --micro N (64).
/// </summary>
public static class TrainBench
{
    public static int Run(string[] args)
    {
        bool json = args.Contains("--json");
        int Arg(string name, int def)
        {
            int i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out int v) ? v : def;
        }
        int threads = Arg("--threads", 2), steps = Arg("--steps", 6), batch = Arg("--batch", 256), seq = Arg("--seq", 96), micro = Arg("--micro", 64);
        using var threadScope = KernelThreads.Use(threads);

        var cfg = StepMathSized();
        var opts = new TrainerOptions { Steps = steps + 1, BatchSize = batch, MicroBatchSize = Math.Min(micro, batch), WarmupSteps = 1, LearningRate = 1e-3f };
        var trainer = Trainer.FromScratch(cfg, opts);
        var source = new RandomTokens(cfg.VocabSize, seq, seed: 1);
        for (int i = 0; i < 2; i++) trainer.Step(source); // warm-up: buffers, and tiered JIT of every kernel
        var proc = Process.GetCurrentProcess();
        proc.Refresh();
        var cpu0 = proc.TotalProcessorTime;
        // Each step timed alone; the best step is the figure, as every other benchmark takes its best repeat (the peak
        // below is a best too): on this VM a step's wall time swings by ±15 % with the host's load.
        var sw = Stopwatch.StartNew();
        long tokens = 0, bestTokens = 0;
        double bestStep = double.MaxValue;
        for (int i = 0; i < steps; i++)
        {
            var t0 = sw.Elapsed.TotalSeconds;
            long stepTokens = trainer.Step(source).Tokens;
            double t = sw.Elapsed.TotalSeconds - t0;
            tokens += stepTokens;
            if (t < bestStep) (bestStep, bestTokens) = (t, stepTokens);
        }
        double seconds = sw.Elapsed.TotalSeconds;
        proc.Refresh();
        double cpuSeconds = (proc.TotalProcessorTime - cpu0).TotalSeconds;
        double flopsPerStep = StepFlops(cfg, batch, seq);
        double achieved = flopsPerStep / bestStep / 1e9, achievedMean = flopsPerStep * steps / seconds / 1e9;
        proc.Refresh();
        var pc0 = proc.TotalProcessorTime;
        var psw = Stopwatch.StartNew();
        double peak = MeasurePeakGflops(threads, out double peakFlops);
        double peakWall = psw.Elapsed.TotalSeconds;
        proc.Refresh();
        double peakCpu = (proc.TotalProcessorTime - pc0).TotalSeconds;
        // On a shared machine wall-clock rates swing with other load; CPU-time rates (work per core-second used) do
        // not, so both are reported: the fraction of peak per core-second is the stable measure.
        double achievedPerCore = flopsPerStep * steps / cpuSeconds / 1e9;
        double peakPerCore = peakFlops / peakCpu / 1e9;
        var result = new
        {
            benchmark = "train_step",
            parameters = cfg.ParameterCount,
            threads,
            batch,
            seq_len = seq,
            micro_batch = opts.MicroBatchSize,
            steps,
            gemm_path = GemmF32F32.Best.ToString(),
            tokens_per_s = bestTokens / bestStep,
            step_seconds = bestStep,
            mean_tokens_per_s = tokens / seconds,
            mean_step_seconds = seconds / steps,
            achieved_gflops = achieved,
            mean_fraction_of_peak = achievedMean / peak,
            peak_gflops = peak,
            fraction_of_peak = achieved / peak,
            ratio = achieved / peak, // the benchmarks' common field: achieved over the limit measured in this run
            cpu_seconds = cpuSeconds,
            tokens_per_cpu_s = tokens / cpuSeconds,
            achieved_gflops_per_core = achievedPerCore,
            peak_gflops_per_core = peakPerCore,
            cpu_fraction_of_peak = achievedPerCore / peakPerCore,
            peak_wall_seconds = peakWall,
            pytorch_cpu_tokens_per_s = 7900,
        };
        if (json) Console.WriteLine(JsonSerializer.Serialize(result));
        else
        {
            Console.WriteLine($"{result.parameters:N0} params, {threads} threads, batch {batch}×{seq}, {result.gemm_path}");
            Console.WriteLine($"best step: {result.tokens_per_s:F0} tokens/s, {achieved:F1} GFLOP/s of a measured {peak:F1} GFLOP/s peak = {result.fraction_of_peak:P1}; mean of {steps} steps {result.mean_fraction_of_peak:P1}");
            Console.WriteLine($"per core-second: {achievedPerCore:F1} of {peakPerCore:F1} GFLOP/s = {result.cpu_fraction_of_peak:P1}; {result.tokens_per_cpu_s:F0} tokens per CPU-second");
        }
        return 0;
    }

    public static ModelConfig StepMathSized() => new()
    {
        Architecture = ArchitectureTraits.Of(ArchitectureKind.Llama),
        HiddenSize = 128, IntermediateSize = 320, NumLayers = 4, NumHeads = 4, NumKvHeads = 4, HeadDim = 32,
        VocabSize = 32, RmsNormEps = 1e-5, Rope = new RopeScaling(RopeType.Default, 10000), MaxPositionEmbeddings = 128,
        TieWordEmbeddings = true, AttentionBias = false,
    };

    /// <summary>Matmul FLOPs of one step (forward ×3 for forward + backward): the projections, the tied head and the two
    /// attention products, counted in full as the kernels compute them (the causal half is not subtracted).</summary>
    public static double StepFlops(ModelConfig c, int batch, int seq)
    {
        double t = (double)batch * seq, h = c.HiddenSize;
        double perLayer = 2 * t * (h * c.QDim + 2 * h * c.KvDim + c.QDim * h + 3 * h * c.IntermediateSize)
                          + 2 * 2 * (double)batch * c.NumHeads * seq * seq * c.HeadDim;
        double forward = c.NumLayers * perLayer + 2 * t * h * c.VocabSize;
        return 3 * forward;
    }

    /// <summary>f32 FMA peak on <paramref name="threads"/> threads: 12 independent accumulators per thread hide FMA latency.</summary>
    public static double MeasurePeakGflops(int threads) => MeasurePeakGflops(threads, out _);

    /// <summary>As above; <paramref name="totalFlops"/> is the work all repetitions did (for CPU-time rates).</summary>
    public static double MeasurePeakGflops(int threads, out double totalFlops)
    {
        totalFlops = 0;
        const long iters = 20_000_000;
        double best = 0;
        for (int rep = 0; rep < 3; rep++)
        {
            var sw = Stopwatch.StartNew();
            long flopsPerThread = 0;
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ =>
            {
                long f = Vector512.IsHardwareAccelerated ? Fma512(iters / 2) : Fma256(iters);
                Interlocked.Exchange(ref flopsPerThread, f);
            });
            double gflops = (double)flopsPerThread * threads / sw.Elapsed.TotalSeconds / 1e9;
            totalFlops += (double)flopsPerThread * threads;
            best = Math.Max(best, gflops);
        }
        return best;
    }

    static long Fma256(long iters)
    {
        var a = Vector256.Create(0.999f);
        var b = Vector256.Create(1e-7f);
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default,
            c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
        for (long i = 0; i < iters; i++)
        {
            c0 = Vector256.FusedMultiplyAdd(c0, a, b); c1 = Vector256.FusedMultiplyAdd(c1, a, b); c2 = Vector256.FusedMultiplyAdd(c2, a, b);
            c3 = Vector256.FusedMultiplyAdd(c3, a, b); c4 = Vector256.FusedMultiplyAdd(c4, a, b); c5 = Vector256.FusedMultiplyAdd(c5, a, b);
            c6 = Vector256.FusedMultiplyAdd(c6, a, b); c7 = Vector256.FusedMultiplyAdd(c7, a, b); c8 = Vector256.FusedMultiplyAdd(c8, a, b);
            c9 = Vector256.FusedMultiplyAdd(c9, a, b); c10 = Vector256.FusedMultiplyAdd(c10, a, b); c11 = Vector256.FusedMultiplyAdd(c11, a, b);
        }
        var s = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;
        if (Vector256.Sum(s) == 42f) Console.Write(""); // keep the loop observable
        return iters * 12 * 8 * 2;
    }

    static long Fma512(long iters)
    {
        var a = Vector512.Create(0.999f);
        var b = Vector512.Create(1e-7f);
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default,
            c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
        for (long i = 0; i < iters; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(c0, a, b); c1 = Vector512.FusedMultiplyAdd(c1, a, b); c2 = Vector512.FusedMultiplyAdd(c2, a, b);
            c3 = Vector512.FusedMultiplyAdd(c3, a, b); c4 = Vector512.FusedMultiplyAdd(c4, a, b); c5 = Vector512.FusedMultiplyAdd(c5, a, b);
            c6 = Vector512.FusedMultiplyAdd(c6, a, b); c7 = Vector512.FusedMultiplyAdd(c7, a, b); c8 = Vector512.FusedMultiplyAdd(c8, a, b);
            c9 = Vector512.FusedMultiplyAdd(c9, a, b); c10 = Vector512.FusedMultiplyAdd(c10, a, b); c11 = Vector512.FusedMultiplyAdd(c11, a, b);
        }
        var s = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;
        if (Vector512.Sum(s) == 42f) Console.Write("");
        return iters * 12 * 16 * 2;
    }

    /// <summary>Uniform random tokens, full length (every position a target): the step's cost does not depend on the text.</summary>
    internal sealed class RandomTokens(int vocab, int seqLen, int seed) : ISequenceSource
    {
        readonly Random _rng = new(seed);
        public long Position { get; set; }

        public TokenBatch Next(int rows)
        {
            var ids = new int[rows * seqLen];
            for (int i = 0; i < ids.Length; i++) ids[i] = _rng.Next(vocab);
            var mask = new int[ids.Length];
            Array.Fill(mask, 1);
            Position += rows;
            return new TokenBatch(ids, mask, rows, seqLen);
        }
    }
}
