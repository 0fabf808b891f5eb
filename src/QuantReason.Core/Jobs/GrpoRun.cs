using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using QuantReason.Data.Prompts;
using QuantReason.Data.StepMath;
using QuantReason.Evaluation;
using QuantReason.Judging;
using QuantReason.Models;
using QuantReason.Runtime;
using QuantReason.Tokenizers;
using QuantReason.Training;

namespace QuantReason.Jobs;

/// <summary>An RL prompt: the problem text, its gold solution, the parsed StepMath problem (verifier reward), its ids.</summary>
public sealed record GrpoPrompt(string Text, string Gold, StepMathProblem? Problem, int? Level, int[] Ids, string Where);

/// <summary>Generated tokens and wall time of one batched generate call.</summary>
public sealed record DecodeSpeed(int Sequences, int Tokens, double Seconds)
{
    public double TokensPerSecond => Seconds > 0 ? Tokens / Seconds : 0;
}

/// <summary>Greedy accuracy of a policy on held-out problems, overall and per level, by the run's reward source.</summary>
public sealed record GrpoAccuracy(int Correct, int Total, IReadOnlyList<(int Level, int Correct, int Total)> ByLevel)
{
    public double Accuracy => Total == 0 ? 0 : (double)Correct / Total;
}

/// <summary>
/// `quantreason train` with a grpo section: RL after a cold start. Each step exports the policy's current weights into
/// a runtime model (in memory), samples G completions for each of P prompts in one batched generate, rewards them
/// (<see cref="RolloutReward"/>), normalises the rewards per group and runs the <see cref="GrpoTrainer"/> update. The log
/// (train-log.jsonl) carries reward, accuracy, format and KL curves and the rollout speed next to a batch-16 greedy decode
/// of the same policy; checkpoints go to OUT/checkpoint and a rerun resumes there, ending where an uninterrupted run ends.
/// </summary>
public sealed class GrpoRun
{
    /// <summary>The batch of the decode reference the rollout speed is reported against.</summary>
    public const int ReferenceBatch = 16;
    const int EvalBatch = 64;
    const string DigestFile = "config-digest.txt";

    public TrainConfig Config { get; }
    public ITokenizer Tokenizer { get; }
    public IReadOnlyList<GrpoPrompt> Prompts { get; }
    public GrpoTrainer Trainer { get; }
    public int ResumedFrom { get; }
    /// <summary>Batch-16 greedy decode of the policy, measured when <see cref="Train"/> starts.</summary>
    public DecodeSpeed? Decode16 { get; private set; }

    GrpoOptions Grpo => Config.Grpo!;
    public string CheckpointDir => Path.Combine(Config.OutputDir, "checkpoint");
    public string LogPath => Path.Combine(Config.OutputDir, "train-log.jsonl");
    public bool Finished => Trainer.StepsDone >= Trainer.Options.Steps;

    GrpoRun(TrainConfig config, ITokenizer tokenizer, IReadOnlyList<GrpoPrompt> prompts, GrpoTrainer trainer, int resumedFrom)
    {
        Config = config; Tokenizer = tokenizer; Prompts = prompts; Trainer = trainer; ResumedFrom = resumedFrom;
    }

    static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    static Kernels.KernelThreads.Scope UseThreads(TrainConfig config) =>
        config.Threads is { } t ? Kernels.KernelThreads.Use(t) : default;

    /// <summary>Loads the cold-start checkpoint as policy and reference, the prompts, and resumes from OUT/checkpoint.</summary>
    public static GrpoRun Prepare(TrainConfig config, Action<string>? say = null)
    {
        var grpo = config.Grpo ?? throw new QuantReasonException("the config has no grpo section", config.Path);
        var baseDir = config.BaseModel ?? throw new QuantReasonException("grpo needs 'base_model' (the cold-start checkpoint)", config.Path);
        using var threads = UseThreads(config);
        Directory.CreateDirectory(config.OutputDir);
        var tokenizer = TokenizerLoader.FromDirectory(baseDir);
        foreach (var f in new[] { "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model" })
            if (File.Exists(Path.Combine(baseDir, f))) File.Copy(Path.Combine(baseDir, f), Path.Combine(config.OutputDir, f), overwrite: true);
        if (tokenizer.EosIds.Count == 0) throw new QuantReasonException("the tokenizer has no EOS token to end a completion", baseDir);

        var template = PromptLibrary.Load(config.Data.Prompt);
        var examples = config.Data.JsonlPath is { } jsonl
            ? TrainingCorpus.Jsonl(jsonl)
            : TrainingCorpus.StepMath(StepMathSplits.Parse(config.Data.StepMathSplit!), config.Data.StepMathSeed, config.Data.StepMathCount, config.Data.WordFraction);
        var prompts = LoadPrompts(examples, template, tokenizer, grpo.Reward == GrpoRewardSource.Verifier);

        var policy = TrainableModel.Load(baseDir);
        if (tokenizer.VocabSize > policy.Config.VocabSize)
            throw new QuantReasonException($"tokenizer has {tokenizer.VocabSize} tokens but the model's vocabulary is {policy.Config.VocabSize}", baseDir);
        int longest = prompts.Max(p => p.Ids.Length);
        if (longest >= policy.Config.MaxPositionEmbeddings)
            throw new QuantReasonException($"a prompt has {longest} tokens, leaving no room to answer in max_position_embeddings {policy.Config.MaxPositionEmbeddings}", config.Path);
        var reference = grpo.Beta > 0 ? TrainableModel.Load(baseDir) : null;
        var trainer = new GrpoTrainer(policy, reference, config.Trainer, grpo);
        var policyKind = config.Trainer.FakeQuant is { } fq ? $"fake-quantized policy W{fq.Bits} g{fq.GroupSize}" : "full-precision policy";
        say?.Invoke(string.Create(CultureInfo.InvariantCulture,
            $"grpo: {prompts.Count} prompts (longest {longest} tokens), {grpo.PromptsPerStep} × {grpo.Group} completions per step, reward {grpo.Reward?.ToString().ToLowerInvariant()}, {policyKind}"));

        var run = new GrpoRun(config, tokenizer, prompts, trainer, 0);
        var ck = run.CheckpointDir;
        if (File.Exists(Path.Combine(ck, "trainer_state.json")))
        {
            var saved = File.Exists(Path.Combine(ck, DigestFile)) ? File.ReadAllText(Path.Combine(ck, DigestFile)).Trim() : "";
            if (saved != run.Digest())
                throw new QuantReasonException("the checkpoint was written by a different GRPO config (model, data, optimizer or grpo changed); remove it or use another --out", ck);
            trainer.Resume(ck);
            run = new GrpoRun(config, tokenizer, prompts, trainer, trainer.StepsDone);
            say?.Invoke($"resumed from step {trainer.StepsDone} of {trainer.Options.Steps} ({ck})");
        }
        return run;
    }

    static List<GrpoPrompt> LoadPrompts(IEnumerable<TrainingExample> examples, PromptTemplate template, ITokenizer tokenizer, bool verifier)
    {
        var prompts = new List<GrpoPrompt>();
        foreach (var ex in examples)
        {
            int[] ids;
            try { ids = tokenizer.Encode(TrainingCorpus.RenderPrompt(template, tokenizer, ex.Problem), addSpecialTokens: false); }
            catch (QuantReasonException e) { throw new QuantReasonException($"cannot tokenize this prompt: {e.Message}", ex.Where, e); }
            // The verifier reward checks steps against the problem's own structure, so the problem must be StepMath.
            var problem = verifier ? StepMathProblem.Parse(ex.Problem, ex.Where) : null;
            prompts.Add(new GrpoPrompt(ex.Problem, ex.Solution, problem, ex.Level, ids, ex.Where));
        }
        if (prompts.Count == 0) throw new QuantReasonException("the RL data holds no prompts", "data");
        return prompts;
    }

    string Digest()
    {
        var c = Config;
        var text = JsonSerializer.Serialize(new
        {
            c.BaseModel, data = c.Data.ToString(), trainer = Trainer.Options.ToString(), fake = Trainer.Options.FakeQuant?.ToString(),
            adamw = Trainer.Options.AdamW.ToString(), grpo = Grpo.ToString(), prompts = Prompts.Count,
        });
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>The seed of completion <paramref name="row"/> of step <paramref name="step"/>: a pure function of the run's seed,
    /// so a resumed run samples what the uninterrupted one sampled.</summary>
    ulong SampleSeed(int step, int row) => Rng.ForStream(((ulong)(uint)Trainer.Options.Seed << 32) | (uint)step, (ulong)row).NextUInt64();

    GenerationOptions Options(int maxNewTokens, SamplingOptions sampling, IReadOnlyList<ulong>? seeds) => new()
    {
        MaxNewTokens = maxNewTokens, Sampling = sampling, SequenceSeeds = seeds,
        StopTokenIds = Tokenizer.EosIds.Concat(Trainer.Policy.Config.EosTokenIds).Distinct().ToList(), VocabLimit = Tokenizer.VocabSize,
    };

    Generator GeneratorFor(Model model) => new(model.Transformer, ids => Tokenizer.Decode(ids, skipSpecialTokens: true));

    /// <summary>Generated tokens per second of one batch-16 greedy decode of a model on the first prompts, max_new_tokens long.</summary>
    public DecodeSpeed MeasureDecode(Model model, int batch = ReferenceBatch)
    {
        var prompts = Enumerable.Range(0, batch).Select(i => Prompts[i % Prompts.Count].Ids).ToList();
        var sw = Stopwatch.StartNew();
        var results = GeneratorFor(model).Generate(prompts, Options(Grpo.MaxNewTokens, new SamplingOptions(), null));
        return new DecodeSpeed(batch, results.Sum(r => r.Tokens.Length), sw.Elapsed.TotalSeconds);
    }

    /// <summary>The prompts of step <paramref name="step"/> (P of them, in order through the data), each repeated G times.</summary>
    public IReadOnlyList<GrpoPrompt> StepPrompts(int step)
    {
        int g = Grpo.Group, p = Grpo.PromptsPerStep;
        return Enumerable.Range(0, g * p).Select(i => Prompts[(int)(((long)step * p + i / g) % Prompts.Count)]).ToList();
    }

    /// <summary>Step <paramref name="step"/>'s rollouts: every completion of every prompt in one batched, seeded generate.</summary>
    public IReadOnlyList<GenerationResult> Rollout(Model model, int step)
    {
        var rows = StepPrompts(step);
        var seeds = Enumerable.Range(0, rows.Count).Select(i => SampleSeed(step, i)).ToList();
        return GeneratorFor(model).Generate(rows.Select(x => x.Ids).ToList(),
            Options(Grpo.MaxNewTokens, new SamplingOptions(Grpo.Temperature, 0, Grpo.TopP), seeds));
    }

    /// <summary>One GRPO step: rollouts from the current policy, rewards, advantages, update.</summary>
    public GrpoLogLine Step()
    {
        var sw = Stopwatch.StartNew();
        int step = Trainer.StepsDone, g = Grpo.Group, n = Grpo.Completions;
        var model = Trainer.ExportPolicy();
        var rowPrompts = StepPrompts(step);
        var rolloutClock = Stopwatch.StartNew();
        var results = Rollout(model, step);
        double rolloutSeconds = rolloutClock.Elapsed.TotalSeconds;
        int generated = results.Sum(r => r.Tokens.Length);

        var scores = results.Select((r, i) => RolloutReward.Score(Grpo.Reward!.Value, rowPrompts[i].Gold, rowPrompts[i].Problem, r.Text ?? "", Grpo.FormatWeight)).ToArray();
        var rewards = scores.Select(s => s.Reward).ToArray();
        var advantages = GrpoAdvantages.Compute(rewards, g, Grpo.ScaleRewards);
        var batch = GrpoBatch.Build(rowPrompts.Select(x => x.Ids).ToList(), results.Select(r => r.Tokens).ToList(), advantages,
            Tokenizer.PadId ?? Tokenizer.EosIds[0]);
        var u = Trainer.Update(batch);
        double mean = rewards.Average(r => (double)r);
        double std = Math.Sqrt(rewards.Sum(r => (r - mean) * (r - mean)) / n);
        return new GrpoLogLine(u.Step, u.Loss, Math.Round(mean, 5), Math.Round(std, 5), scores.Count(s => s.Correct) / (double)n,
            scores.Count(s => s.FormatKept) / (double)n, u.Kl, u.ClipFraction, u.LearningRate, u.GradNorm, generated,
            Math.Round(rolloutSeconds, 4), Math.Round(generated / rolloutSeconds, 1), Math.Round(Decode16?.TokensPerSecond ?? 0, 1),
            Math.Round(sw.Elapsed.TotalSeconds, 4), 0);
    }

    /// <summary>Runs the remaining steps, appending to train-log.jsonl and checkpointing every checkpoint_every steps and at the end.</summary>
    public IReadOnlyList<GrpoLogLine> Train(IProgressSink progress, Action<GrpoLogLine>? onStep = null, CancellationToken cancel = default)
    {
        using var threads = UseThreads(Config);
        KeepLogUpTo(ResumedFrom);
        var lines = new List<GrpoLogLine>();
        if (Finished) return lines;
        Directory.CreateDirectory(CheckpointDir);
        File.WriteAllText(Path.Combine(CheckpointDir, DigestFile), Digest() + "\n");
        Decode16 = MeasureDecode(Trainer.ExportPolicy());
        using var log = new StreamWriter(LogPath, append: true);
        var proc = Process.GetCurrentProcess();
        proc.Refresh();
        var cpu = proc.TotalProcessorTime;
        progress.Start("grpo", Trainer.Options.Steps);
        progress.Advance(Trainer.StepsDone);
        while (!Finished && !cancel.IsCancellationRequested)
        {
            var line = Step();
            proc.Refresh();
            var now = proc.TotalProcessorTime;
            line = line with { CpuSeconds = Math.Round((now - cpu).TotalSeconds, 4) };
            cpu = now;
            log.WriteLine(JsonSerializer.Serialize(line, Json));
            log.Flush();
            lines.Add(line);
            onStep?.Invoke(line);
            progress.Advance(1, string.Create(CultureInfo.InvariantCulture, $"reward {line.Reward:F3}  acc {line.Accuracy:P0}  kl {line.Kl:F4}  {line.RolloutTokensPerSecond:F0} tok/s"));
            if (Config.CheckpointEvery > 0 && line.Step % Config.CheckpointEvery == 0) Trainer.SaveCheckpoint(CheckpointDir);
        }
        Trainer.SaveCheckpoint(CheckpointDir);
        progress.Finish();
        return lines;
    }

    void KeepLogUpTo(int step) => TrainLog.KeepUpTo<GrpoLogLine>(LogPath, step, l => l.Step);

    public static IReadOnlyList<GrpoLogLine> ReadLog(string path) => TrainLog.Read<GrpoLogLine>(path);

    /// <summary>
    /// Greedy accuracy of a model on the eval section's held-out StepMath problems (problems_per_level of each level),
    /// judged by the run's reward source, decoded in batches through the runtime.
    /// </summary>
    public GrpoAccuracy GreedyAccuracy(Model model)
    {
        var e = Config.Eval ?? throw new QuantReasonException("the config has no eval section", Config.Path);
        using var threads = UseThreads(Config);
        var template = PromptLibrary.Load(Config.Data.Prompt);
        var items = new StepMathGenerator(e.Seed).Generate(StepMathSplits.Parse(e.Split), e.ProblemsPerLevel * StepMathGenerator.MaxLevel)
            .Select(i => new TrainingExample(i.Problem.Text, i.Problem.Solution, i.Level, i.UniqueId));
        var problems = LoadPrompts(items, template, Tokenizer, Grpo.Reward == GrpoRewardSource.Verifier);
        var correct = new bool[problems.Count];
        var generator = GeneratorFor(model);
        var options = Options(e.MaxNewTokens, new SamplingOptions(), null);
        for (int start = 0; start < problems.Count; start += EvalBatch)
        {
            var chunk = problems.Skip(start).Take(EvalBatch).ToList();
            var results = generator.Generate(chunk.Select(x => x.Ids).ToList(), options);
            for (int i = 0; i < chunk.Count; i++)
                correct[start + i] = RolloutReward.Score(Grpo.Reward!.Value, chunk[i].Gold, chunk[i].Problem, results[i].Text ?? "", 0).Correct;
        }
        var byLevel = problems.Select((x, i) => (Level: x.Level ?? 0, Ok: correct[i])).GroupBy(x => x.Level).OrderBy(x => x.Key)
            .Select(x => (x.Key, x.Count(y => y.Ok), x.Count())).ToList();
        return new GrpoAccuracy(correct.Count(c => c), problems.Count, byLevel);
    }

    /// <summary>The cold-start policy as it runs (the reference, fake-quantized like the policy), for the before/after table.</summary>
    public Model ColdStart()
    {
        if (Trainer.Reference is { } r) return RuntimeExport.ToRuntime(r, "cold-start");
        var m = TrainableModel.Load(Config.BaseModel!);
        m.SetFakeQuant(Trainer.Options.FakeQuant);
        return RuntimeExport.ToRuntime(m, "cold-start");
    }

    /// <summary>
    /// Writes the trained policy's f32 master weights as a Hugging Face checkpoint (config, generation config, tokenizer,
    /// the base model's defaults) and checks the runtime loads it. Under fake quantization the weights that ran are
    /// these masters on the training grid (see training.md).
    /// </summary>
    public void Export()
    {
        using var threads = UseThreads(Config);
        Trainer.Policy.Save(Config.OutputDir);
        TrainingRun.WriteGenerationConfig(Trainer.Policy.Config, Tokenizer, Path.Combine(Config.OutputDir, "generation_config.json"));
        ModelDefaults.Load(Config.BaseModel!).Write(Config.OutputDir);
        Model.Load(Config.OutputDir);
    }

    /// <summary>training.md: setup, the reward / accuracy / KL curve, rollout speed against batch-16 decode, and the greedy accuracy before and after.</summary>
    public void WriteSummary(GrpoAccuracy? before, GrpoAccuracy? after)
    {
        var log = File.Exists(LogPath) ? ReadLog(LogPath) : [];
        var inv = CultureInfo.InvariantCulture;
        var c = Config;
        var o = Trainer.Options;
        var sb = new StringBuilder();
        sb.AppendLine($"# GRPO summary: {Path.GetFileName(c.OutputDir.TrimEnd('/'))}").AppendLine();
        var coldStart = o.FakeQuant is { } fq ? $"fake-quantized W{fq.Bits} (group {fq.GroupSize}, symmetric RTN grid; policy and reference)" : "full precision";
        sb.AppendLine(string.Create(inv, $"Written by `quantreason train --config {Path.GetFileName(c.Path)}`. Cold start: `{Path.GetFileName(c.BaseModel?.TrimEnd('/'))}`, {coldStart}."));
        sb.AppendLine();
        sb.AppendLine(string.Create(inv, $"GRPO: {Grpo.PromptsPerStep} prompts × {Grpo.Group} completions per step (temperature {Grpo.Temperature}, top-p {Grpo.TopP}, ≤ {Grpo.MaxNewTokens} new tokens), reward {Grpo.Reward?.ToString().ToLowerInvariant()} + {Grpo.FormatWeight} for the kept format, ε {Grpo.Epsilon}, β {Grpo.Beta} (k3 KL to the cold start), μ {Grpo.Iterations}, loss {Grpo.LossType}; AdamW lr {o.LearningRate:G3}, {o.WarmupSteps} warmup steps, clip {o.ClipNorm}; {o.Steps} steps, seed {o.Seed}, {Kernels.KernelThreads.Count} threads; {Prompts.Count} prompts."));
        sb.AppendLine();
        if (log.Count > 0)
        {
            double rollout = log.Sum(l => l.RolloutSeconds), wall = log.Sum(l => l.Seconds);
            long tokens = log.Sum(l => (long)l.CompletionTokens);
            var ref16 = log.Where(l => l.Decode16TokensPerSecond > 0).Select(l => l.Decode16TokensPerSecond).DefaultIfEmpty(0).Average();
            sb.AppendLine("## Rollout speed").AppendLine();
            sb.AppendLine(string.Create(inv, $"Rollouts: {tokens:N0} sampled tokens in {rollout:F1} s of batched generation ({Grpo.Completions} sequences per generate) = {tokens / rollout:F0} tokens/s; batch-{ReferenceBatch} greedy decode of the same policy, measured at the start of each session: {ref16:F0} tokens/s; ratio {(ref16 > 0 ? tokens / rollout / ref16 : 0):F2}. Rollouts took {rollout / wall:P0} of the {wall:F1} s of training."));
            sb.AppendLine();
            sb.AppendLine("## Curves (train-log.jsonl; means over the steps since the previous row)").AppendLine();
            sb.AppendLine("| step | reward | accuracy (sampled) | format kept | KL | clip fraction | completion tokens |");
            sb.AppendLine("|---|---|---|---|---|---|---|");
            int rows = Math.Min(20, log.Count), prev = 0;
            for (int r = 1; r <= rows; r++)
            {
                int upto = (int)Math.Round((double)log.Count * r / rows);
                var span = log.Skip(prev).Take(upto - prev).ToList();
                if (span.Count == 0) continue;
                sb.AppendLine(string.Create(inv, $"| {span[^1].Step} | {span.Average(l => l.Reward):F3} | {span.Average(l => l.Accuracy):P1} | {span.Average(l => l.Format):P1} | {span.Average(l => l.Kl):F5} | {span.Average(l => l.ClipFraction):P1} | {span.Average(l => l.CompletionTokens):F0} |"));
                prev = upto;
            }
            sb.AppendLine();
        }
        if (before is not null && after is not null)
        {
            var e = c.Eval!;
            sb.AppendLine(string.Create(inv, $"## Greedy accuracy on the StepMath {e.Split} split (seed {e.Seed}), by the {Grpo.Reward?.ToString().ToLowerInvariant()}")).AppendLine();
            sb.AppendLine("| level | problems | cold start | 95% CI | after GRPO | 95% CI |");
            sb.AppendLine("|---|---|---|---|---|---|");
            string Cell(int k, int n) { var (lo, hi) = Scoring.Wilson(k, n); return string.Create(inv, $"{(double)k / n:P1} | {lo:P1}–{hi:P1}"); }
            foreach (var (b, a) in before.ByLevel.Zip(after.ByLevel))
                sb.AppendLine(string.Create(inv, $"| {b.Level} | {b.Total} | {Cell(b.Correct, b.Total)} | {Cell(a.Correct, a.Total)} |"));
            sb.AppendLine(string.Create(inv, $"| all | {before.Total} | {Cell(before.Correct, before.Total)} | {Cell(after.Correct, after.Total)} |"));
            sb.AppendLine();
        }
        File.WriteAllText(Path.Combine(c.OutputDir, "training.md"), sb.ToString());
    }
}
