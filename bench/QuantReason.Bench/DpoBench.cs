using System.Diagnostics;
using System.Text.Json;
using QuantReason.Data.Prompts;
using QuantReason.Data.StepMath;
using QuantReason.Judging;
using QuantReason.Kernels;
using QuantReason.Tokenizers;
using QuantReason.Training;

namespace QuantReason.Bench;

/// <summary>
/// DPO of the embedded StepMath model (data/models/stepmath-ref) with the study's setting: LoRA rank 32 on every
/// projection, sigmoid loss β 0.1, global batch 8 pairs, cosine schedule with warm-up ratio 0.1. Pairs are StepMath
/// training-split problems with chosen = the reference solution and rejected = that solution corrupted by
/// <see cref="StepMutator"/> (one error type per pair, in turn). Prints tokens/s of a DPO step with `ratio` against the
/// full-precision SFT step's tokens/s (all weights trainable, batch 16 sequences = the 8 pairs' rows) measured in the same
/// run, then times the whole DPO run: --pairs (545) × --epochs (3), the target ≤ 3 minutes on 2 cores.
/// Options: --json, --threads N (2), --pairs N (545), --epochs N (3), --batch N (8), --rank N (32), --steps N (20 timed
/// steps each), --no-full (rates only), --model DIR.
/// </summary>
public static class DpoBench
{
    const int MaxLength = 128; // the model's max_position_embeddings: a corrupted solution may run past 96 tokens

    static readonly StepErrorType[] Corruptions =
    [
        StepErrorType.ComputationError, StepErrorType.SymbolError, StepErrorType.MisunderstandingOfProblem,
        StepErrorType.StepOmission, StepErrorType.LogicalError, StepErrorType.FormulaMisuse, StepErrorType.BoundaryConditionError,
    ];

    public static int Run(string[] args)
    {
        bool json = BenchUtil.Json(args);
        int Int(string name, int def) => int.Parse(BenchUtil.Arg(args, name, def.ToString()));
        int threads = Int("--threads", 2), pairCount = Int("--pairs", 545), epochs = Int("--epochs", 3), batch = Int("--batch", 8);
        int rank = Int("--rank", 32), timedSteps = Int("--steps", 20);
        string modelDir = BenchUtil.Arg(args, "--model", DefaultModelDir());
        using var threadScope = KernelThreads.Use(threads);

        var prepClock = Stopwatch.StartNew();
        var tokenizer = TokenizerLoader.FromDirectory(modelDir);
        var prompt = PromptLibrary.Load("step-tags");
        var (chosen, rejected) = Pairs(pairCount, seed: 1);
        var chosenCorpus = TrainingCorpus.Build(chosen, prompt, tokenizer, MaxLength);
        var rejectedCorpus = TrainingCorpus.Build(rejected, prompt, tokenizer, MaxLength);
        int pad = tokenizer.PadId ?? 0;
        double prepSeconds = prepClock.Elapsed.TotalSeconds;

        // Full-precision SFT on the chosen rows: the training step DPO is measured against.
        var sft = new Trainer(TrainableModel.Load(modelDir), Options(2 * batch, timedSteps + 3, dpo: false));
        var sftRate = Rate(sft, new TokenSequenceSource(chosenCorpus.Sequences, pad, MaxLength, 1, chosenCorpus.Masks), timedSteps);

        int steps = (int)Math.Ceiling((double)pairCount * epochs / batch);
        var dpoRate = Rate(DpoTrainer(modelDir, rank, batch, steps), new PreferencePairSource(chosenCorpus, rejectedCorpus, pad, MaxLength, 1), timedSteps);

        double? fullSeconds = null;
        float firstLoss = float.NaN, lastLoss = float.NaN;
        if (!args.Contains("--no-full"))
        {
            var trainer = DpoTrainer(modelDir, rank, batch, steps);
            var source = new PreferencePairSource(chosenCorpus, rejectedCorpus, pad, MaxLength, 1);
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < steps; i++)
            {
                var s = trainer.Step(source);
                if (i == 0) firstLoss = s.Loss;
                lastLoss = s.Loss;
            }
            fullSeconds = sw.Elapsed.TotalSeconds;
        }

        var result = new
        {
            benchmark = "dpo",
            model = Path.GetFileName(Path.GetFullPath(modelDir).TrimEnd(Path.DirectorySeparatorChar)),
            threads,
            pairs = chosenCorpus.Sequences.Count,
            epochs,
            batch_pairs = batch,
            lora_rank = rank,
            steps,
            tokens_per_s = dpoRate.TokensPerS,
            dpo_step_seconds = dpoRate.StepSeconds,
            sft_tokens_per_s = sftRate.TokensPerS,
            sft_step_seconds = sftRate.StepSeconds,
            tokens_per_cpu_s = dpoRate.TokensPerCpuS,
            sft_tokens_per_cpu_s = sftRate.TokensPerCpuS,
            cpu_ratio = dpoRate.TokensPerCpuS / sftRate.TokensPerCpuS,
            ratio = dpoRate.TokensPerS / sftRate.TokensPerS, // DPO step tokens/s over the full-precision SFT step's, same run
            full_run_seconds = fullSeconds,
            full_run_target_seconds = 180,
            first_loss = firstLoss,
            last_loss = lastLoss,
            prepare_seconds = prepSeconds,
        };
        if (json) Console.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
        else
        {
            Console.WriteLine($"{result.model}: {result.pairs} pairs, LoRA rank {rank}, batch {batch} pairs, {threads} threads");
            Console.WriteLine($"DPO step {dpoRate.TokensPerS:F0} tokens/s ({dpoRate.StepSeconds * 1000:F1} ms), FP SFT step {sftRate.TokensPerS:F0} tokens/s ({sftRate.StepSeconds * 1000:F1} ms): ratio {result.ratio:F3} (per CPU-second {result.cpu_ratio:F3})");
            if (fullSeconds is { } f)
                Console.WriteLine($"{pairCount} pairs × {epochs} epochs = {steps} steps in {f:F1} s (target ≤ 180 s); loss {firstLoss:F4} → {lastLoss:F4}");
        }
        return 0;
    }

    /// <summary>The study's DPO setting on the embedded model: rank-32 LoRA on every projection, the base as reference.</summary>
    static Trainer DpoTrainer(string modelDir, int rank, int batch, int steps)
    {
        var model = TrainableModel.Load(modelDir);
        var targets = model.Linears.Select(l => l.Module.Split('.')[^1]).Distinct().ToList();
        model.AddLora(new LoraOptions(rank, 2f * rank, targets, Seed: 1));
        return new Trainer(model, Options(batch, steps, dpo: true));
    }

    static TrainerOptions Options(int batch, int steps, bool dpo) => new()
    {
        Steps = steps, BatchSize = batch, MicroBatchSize = batch, LearningRate = 5e-4f,
        WarmupSteps = Math.Max(1, steps / 10), MinLrRatio = 0f, DpoBeta = dpo ? 0.1f : null,
    };

    readonly record struct StepRate(double TokensPerS, double StepSeconds, double TokensPerCpuS);

    /// <summary>Tokens/s over <paramref name="steps"/> steps after three warm-up steps (buffers, tiered JIT), and tokens
    /// per CPU-second, which a loaded machine's other work does not move.</summary>
    static StepRate Rate(Trainer trainer, ISequenceSource source, int steps)
    {
        for (int i = 0; i < 3; i++) trainer.Step(source);
        var proc = Process.GetCurrentProcess();
        proc.Refresh();
        var cpu0 = proc.TotalProcessorTime;
        long tokens = 0;
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < steps; i++) tokens += trainer.Step(source).Tokens;
        double s = sw.Elapsed.TotalSeconds;
        proc.Refresh();
        return new StepRate(tokens / s, s / steps, tokens / (proc.TotalProcessorTime - cpu0).TotalSeconds);
    }

    /// <summary>Training-split problems (levels 1–5 in turn) with their reference solution and one corruption each.</summary>
    static (List<TrainingExample> Chosen, List<TrainingExample> Rejected) Pairs(int count, int seed)
    {
        var chosen = new List<TrainingExample>(count);
        var rejected = new List<TrainingExample>(count);
        var rng = new StepRandom((ulong)seed);
        int k = 0;
        foreach (var item in new StepMathGenerator(seed, new StepMathOptions { WordFraction = 0.3 }).Generate(StepMathSplit.Train, 4 * count))
        {
            if (chosen.Count == count) break;
            var m = StepMutator.Mutate(item.Problem, Corruptions[k++ % Corruptions.Length], ref rng);
            if (m is null) continue;
            chosen.Add(new TrainingExample(item.Problem.Text, item.Problem.Solution, item.Level, item.UniqueId));
            rejected.Add(new TrainingExample(item.Problem.Text, m.Output, item.Level, item.UniqueId));
        }
        if (chosen.Count < count) throw new QuantReasonException($"only {chosen.Count} of {count} pairs could be built", "bench dpo");
        return (chosen, rejected);
    }

    static string DefaultModelDir()
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Toolkit.sln"))) return Path.Combine(dir.FullName, "data", "models", "stepmath-ref");
        throw new QuantReasonException("run from inside the repository or pass --model DIR", "bench dpo");
    }
}
