using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using QuantReason.Evaluation;
using QuantReason.Evaluation.Runs;
using QuantReason.Models;
using QuantReason.Runtime;
using QuantReason.Tokenizers;
using QuantReason.Data.Datasets;
using QuantReason.Data.Prompts;
using QuantReason.Data.StepMath;
using QuantReason.Training;

namespace QuantReason.Jobs;

/// <summary>One line of train-log.jsonl.</summary>
public sealed record TrainLogLine(
    [property: JsonPropertyName("step")] int Step,
    [property: JsonPropertyName("loss")] float Loss,
    [property: JsonPropertyName("lr")] float LearningRate,
    [property: JsonPropertyName("grad_norm")] float GradNorm,
    [property: JsonPropertyName("targets")] int Targets,
    [property: JsonPropertyName("tokens")] int Tokens,
    [property: JsonPropertyName("seconds")] double Seconds,
    [property: JsonPropertyName("tokens_per_s")] double TokensPerSecond,
    [property: JsonPropertyName("cpu_seconds")] double CpuSeconds);

/// <summary>
/// A whole `quantreason train` run over a <see cref="TrainConfig"/>: the output folder gets the tokenizer first, the
/// trainer checkpoints into OUT/checkpoint (every checkpoint_every steps and when cancelled) and resumes from there on
/// a rerun — ending bit-identical to an uninterrupted run — and at the end OUT holds a Hugging Face checkpoint
/// (config.json, model.safetensors, generation_config.json, tokenizer files), train-log.jsonl, the evaluation run
/// (OUT/eval) and training.md.
/// </summary>
public sealed class TrainingRun
{
    // Greedy evaluation batches concurrent problems onto one model; left-padded batches decode as batch 1 does.
    const int EvalBatch = 16;

    public TrainConfig Config { get; }
    public ITokenizer Tokenizer { get; }
    public PromptTemplate Prompt { get; }
    public TrainingCorpus Corpus { get; }
    public Trainer Trainer { get; }
    /// <summary>SFT sequences, or chosen/rejected pairs under DPO.</summary>
    public ISequenceSource Source { get; }
    /// <summary>The optimizer step the run resumed from (0 for a fresh start).</summary>
    public int ResumedFrom { get; }

    public string CheckpointDir => Path.Combine(Config.OutputDir, "checkpoint");
    public string LogPath => Path.Combine(Config.OutputDir, "train-log.jsonl");
    public string EvalDir => Path.Combine(Config.OutputDir, "eval");
    /// <summary>Where Export writes the adapters in PEFT's layout (adapter_config.json, adapter_model.safetensors): the output
    /// folder itself, as PEFT's save_pretrained does, beside the tokenizer (grown when tokens were added), so
    /// `--model BASE --adapter OUT` runs the trained model.</summary>
    public string AdapterDir => Config.OutputDir;
    /// <summary>The ids of <see cref="TrainConfig.NewTokens"/> in the grown tokenizer.</summary>
    public IReadOnlyList<int> NewTokenIds { get; private init; } = [];
    /// <summary>Whether the base is a quantized checkpoint (QLoRA over its packed linears): the result is the adapter
    /// applied unmerged on top of <see cref="TrainConfig.BaseModel"/>, not a merged checkpoint.</summary>
    public bool OverPackedBase => Trainer.Model.HasPackedBase;
    const string DigestFile = "config-digest.txt";

    TrainingRun(TrainConfig config, ITokenizer tokenizer, PromptTemplate prompt, TrainingCorpus corpus, Trainer trainer,
        ISequenceSource source, int resumedFrom)
    {
        Config = config; Tokenizer = tokenizer; Prompt = prompt; Corpus = corpus; Trainer = trainer; Source = source; ResumedFrom = resumedFrom;
    }

    static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    /// <summary>Builds tokenizer, corpus, model and trainer, and resumes from OUT/checkpoint when it holds one.</summary>
    public static TrainingRun Prepare(TrainConfig config, Action<string>? say = null)
    {
        using var threads = UseThreads(config);
        Directory.CreateDirectory(config.OutputDir);

        // The tokenizer: the base model's, or the StepMath character vocabulary written into the output first, so the
        // run trains on exactly the files it ships.
        ITokenizer tokenizer;
        if ((config.BaseModel ?? config.Init) is { } baseDir)
        {
            tokenizer = TokenizerLoader.FromDirectory(baseDir);
            foreach (var f in new[] { "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model" })
                if (File.Exists(Path.Combine(baseDir, f))) File.Copy(Path.Combine(baseDir, f), Path.Combine(config.OutputDir, f), overwrite: true);
        }
        else tokenizer = StepMathTokenizer.Write(config.OutputDir);
        int[] newIds = [];
        if (config.NewTokens.Count > 0)
        {
            newIds = TokenizerGrowth.AddSpecialTokens(config.OutputDir, config.NewTokens);
            tokenizer = TokenizerLoader.FromDirectory(config.OutputDir);
            say?.Invoke($"tokenizer: added {config.NewTokens.Count} token(s), ids {string.Join(", ", newIds)}");
        }

        var prompt = PromptLibrary.Load(config.Data.Prompt);
        var clock = Stopwatch.StartNew();
        TrainingCorpus corpus;
        TrainingCorpus? rejected = null;
        if (config.Dpo is { } dpo)
        {
            var (chosenExamples, rejectedExamples) = TrainingCorpus.PreferenceJsonl(dpo.PairsPath);
            corpus = TrainingCorpus.Build(chosenExamples, prompt, tokenizer, config.Data.MaxLength);
            rejected = TrainingCorpus.Build(rejectedExamples, prompt, tokenizer, config.Data.MaxLength);
        }
        else
        {
            var examples = config.Data.JsonlPath is { } jsonl
                ? TrainingCorpus.Jsonl(jsonl)
                : TrainingCorpus.StepMath(StepMathSplits.Parse(config.Data.StepMathSplit!), config.Data.StepMathSeed, config.Data.StepMathCount, config.Data.WordFraction);
            corpus = TrainingCorpus.Build(examples, prompt, tokenizer, config.Data.MaxLength);
        }
        say?.Invoke(string.Create(CultureInfo.InvariantCulture,
            $"corpus: {corpus.Sequences.Count} sequences, longest {corpus.LongestSequence} tokens, {corpus.TargetTokens} target tokens ({corpus.MeanTargets:F1} per sequence), built in {clock.Elapsed.TotalSeconds:F1} s"));

        var options = config.Trainer;
        if (config.TargetTokens is { } budget)
            options = options with { Steps = (int)Math.Ceiling(budget / (corpus.MeanTargets * options.BatchSize)) };
        if (options.WarmupSteps > options.Steps) throw new QuantReasonException($"warmup_steps {options.WarmupSteps} exceeds the {options.Steps} steps the run takes", config.Path);

        TrainableModel model;
        if (config.Init is { } init)
        {
            var expected = config.BaseModel is { } bm ? ModelConfig.Load(bm) : null;
            model = QatCheckpoint.LoadInit(init, config.LearnScales, expected, config.BaseModel);
            if (tokenizer.VocabSize > model.Config.VocabSize)
                throw new QuantReasonException($"tokenizer has {tokenizer.VocabSize} tokens but the model's vocabulary is {model.Config.VocabSize}", init);
        }
        else if (config.BaseModel is { } b)
        {
            model = TrainableModel.Load(b);
            if (config.NewTokens.Count > 0 && tokenizer.VocabSize > model.Config.VocabSize) model.GrowVocabulary(tokenizer.VocabSize, options.Seed);
            if (model.HasPackedBase && config.Lora is null)
                throw new QuantReasonException("base_model is a quantized checkpoint: its packed linears stay frozen, so add a lora section (QLoRA)", config.Path);
            if (model.HasPackedBase && config.QloraGroupSize is not null)
                throw new QuantReasonException("base_model is already quantized: drop qlora.group_size (the trainer's own int4 RTN is for full-precision bases)", config.Path);
            if (tokenizer.VocabSize > model.Config.VocabSize)
                throw new QuantReasonException($"tokenizer has {tokenizer.VocabSize} tokens but the model's vocabulary is {model.Config.VocabSize}", b);
        }
        else
        {
            var cfg = config.ModelConfigFor(tokenizer.VocabSize, tokenizer.BosId!.Value, tokenizer.EosIds[0], tokenizer.PadId!.Value);
            model = TrainableModel.Create(cfg, options.Seed, config.Model!.InitStd);
        }
        if (config.Lora is { } lora)
        {
            if (config.QloraGroupSize is { } g) model.QuantizeBase(g);
            model.AddLora(new LoraOptions(lora.Rank, lora.Alpha, lora.Targets, lora.Seed));
            if (lora.ModulesToSave is { Count: > 0 }) model.TrainVocabularyMatrices();
            else model.TrainTokenRows(newIds);
        }
        if (corpus.LongestSequence > model.Config.MaxPositionEmbeddings)
            throw new QuantReasonException($"a training sequence has {corpus.LongestSequence} tokens, more than max_position_embeddings {model.Config.MaxPositionEmbeddings}", config.Path);
        TrainableModel? teacher = null;
        if (config.Distill is { } kd)
        {
            teacher = TrainableModel.Load(kd.Teacher);
            if (teacher.Config.VocabSize != model.Config.VocabSize)
                throw new QuantReasonException($"the teacher's vocabulary has {teacher.Config.VocabSize} tokens, the student's {model.Config.VocabSize}: distillation needs the same tokenizer", kd.Teacher);
        }
        var trainer = new Trainer(model, options, teacher);
        ISequenceSource source = rejected is not null
            ? new PreferencePairSource(corpus, rejected, tokenizer.PadId ?? 0, config.Data.MaxLength, options.Seed)
            : new TokenSequenceSource(corpus.Sequences, tokenizer.PadId ?? 0, config.Data.MaxLength, options.Seed, corpus.Masks);

        var run = new TrainingRun(config, tokenizer, prompt, corpus, trainer, source, 0) { NewTokenIds = newIds };
        var digest = run.Digest();
        var ck = run.CheckpointDir;
        if (File.Exists(Path.Combine(ck, "trainer_state.json")))
        {
            var saved = File.Exists(Path.Combine(ck, DigestFile)) ? File.ReadAllText(Path.Combine(ck, DigestFile)).Trim() : "";
            if (saved != digest)
                throw new QuantReasonException("the checkpoint was written by a different training config (model, data or optimizer changed); " +
                                               "remove it or use another --out", ck);
            trainer.Resume(ck, source);
            run = new TrainingRun(config, tokenizer, prompt, corpus, trainer, source, trainer.StepsDone) { NewTokenIds = newIds };
            say?.Invoke($"resumed from step {trainer.StepsDone} of {options.Steps} ({ck})");
        }
        return run;
    }

    /// <summary>What a checkpoint must agree with to be resumed: everything that changes the training trajectory.</summary>
    string Digest()
    {
        var c = Config;
        var text = JsonSerializer.Serialize(new
        {
            model = c.Model?.ToString(), c.BaseModel, data = c.Data.ToString(), trainer = Trainer.Options.ToString(),
            fake = Trainer.Options.FakeQuant?.ToString(), adamw = Trainer.Options.AdamW.ToString(), lora = c.Lora is null ? null : $"{c.Lora.Rank} {c.Lora.Alpha} {string.Join(",", c.Lora.Targets)} {c.Lora.Seed}",
            c.QloraGroupSize, dpo = c.Dpo?.ToString(), newTokens = c.NewTokens.Count == 0 ? null : string.Join("\u0001", c.NewTokens),
            modulesToSave = c.Lora?.ModulesToSave is { Count: > 0 } mts ? string.Join(",", mts) : null, c.Init, c.LearnScales, distill = c.Distill?.ToString(),
            sequences = Corpus.Sequences.Count, Corpus.TargetTokens,
        });
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>The config's thread count for the duration of one stage (a scope, so a test or server running beside
    /// the trainer keeps its own).</summary>
    static Kernels.KernelThreads.Scope UseThreads(TrainConfig config) =>
        config.Threads is { } t ? Kernels.KernelThreads.Use(t) : default;

    /// <summary>Quantization-aware training: from a PTQ init or with plain fake quantization.</summary>
    public bool IsQat => Config.Init is not null || Config.Trainer.FakeQuant is not null;

    public bool Finished => Trainer.StepsDone >= Trainer.Options.Steps;

    /// <summary>
    /// Trains the remaining steps, appending to train-log.jsonl (lines past the resumed step, left by a run killed
    /// between checkpoints, are dropped first), checkpointing every checkpoint_every steps and on cancellation.
    /// </summary>
    public IReadOnlyList<StepResult> Train(IProgressSink progress, Action<StepResult>? onStep = null, CancellationToken cancel = default)
    {
        using var threads = UseThreads(Config);
        KeepLogUpTo(ResumedFrom);
        if (Finished) return [];
        Directory.CreateDirectory(CheckpointDir);
        File.WriteAllText(Path.Combine(CheckpointDir, DigestFile), Digest() + "\n");
        using var log = new StreamWriter(LogPath, append: true);
        var proc = Process.GetCurrentProcess();
        proc.Refresh();
        var cpu = proc.TotalProcessorTime;
        return Trainer.Run(Source, progress, s =>
        {
            proc.Refresh();
            var now = proc.TotalProcessorTime;
            log.WriteLine(JsonSerializer.Serialize(new TrainLogLine(s.Step, s.Loss, s.LearningRate, s.GradNorm, s.Targets, s.Tokens,
                Math.Round(s.Seconds, 4), Math.Round(s.Tokens / s.Seconds, 1), Math.Round((now - cpu).TotalSeconds, 4)), Json));
            log.Flush();
            cpu = now;
            onStep?.Invoke(s);
        }, CheckpointDir, Config.CheckpointEvery, cancel);
    }

    void KeepLogUpTo(int step) => TrainLog.KeepUpTo<TrainLogLine>(LogPath, step, l => l.Step);

    public static IReadOnlyList<TrainLogLine> ReadLog(string path) => TrainLog.Read<TrainLogLine>(path);

    /// <summary>
    /// Writes the final Hugging Face checkpoint into the output folder: LoRA merged into the weights, model.safetensors
    /// with HF names, config.json (LlamaForCausalLM, float32), generation_config.json (bos/eos/pad, greedy), and
    /// checks it by loading it back with the runtime.
    /// </summary>
    public void Export()
    {
        using var threads = UseThreads(Config);
        var model = Trainer.Model;
        if (model.Adapters.Any())
        {
            model.SaveAdapters(AdapterDir, Config.BaseModel);
            // A packed base stays packed: the adapter is the result. A full-precision base also gets the merged checkpoint.
            if (!OverPackedBase) model.MergeLora();
        }
        if (model.Linears.Any(l => l.Grid is not null || l.FakeQuant is not null))
        {
            // QAT: the packed checkpoint on the training grid, not f32 weights a second quantizer would have to redo
            var meta = new JsonObject
            {
                ["init"] = Config.Init is null ? "none" : Path.GetFileName(Config.Init.TrimEnd('/')),
                ["objective"] = Config.Distill is null ? "sft" : "kd",
                ["learn_scales"] = Config.LearnScales,
                ["steps"] = Trainer.StepsDone,
            };
            QatCheckpoint.Export(model, Config.OutputDir, Config.Init is null ? null : Weights.CheckpointQuantization.Load(Config.Init), meta);
        }
        else if (!OverPackedBase) model.Save(Config.OutputDir);
        WriteGenerationConfig(model.Config, Tokenizer, Path.Combine(Config.OutputDir, "generation_config.json"));
        // the prompt it learned, and (trained on StepMath) a calibration source its vocabulary covers: eval's and quantize's defaults
        new ModelDefaults(Prompt.Name, Config.Data.JsonlPath is null && Config.Dpo is null ? "stepmath" : null, Prompt.Kind == PromptKind.Chat)
            .Write(Config.OutputDir);
        LoadTrained(); // the runtime must accept what was written
    }

    /// <summary>The trained model as the runtime runs it: the merged checkpoint, or the packed base with the adapter unmerged.</summary>
    public Runtime.Model LoadTrained() =>
        OverPackedBase ? Runtime.Model.Load(Config.BaseModel!, AdapterDir) : Runtime.Model.Load(Config.OutputDir);

    public static void WriteGenerationConfig(ModelConfig config, ITokenizer tokenizer, string path)
    {
        var o = new JsonObject { ["_from_model_config"] = false, ["do_sample"] = false };
        if ((tokenizer.BosId ?? config.BosTokenId) is { } bos) o["bos_token_id"] = bos;
        var eos = tokenizer.EosIds.Concat(config.EosTokenIds).Distinct().ToList();
        if (eos.Count == 1) o["eos_token_id"] = eos[0];
        else if (eos.Count > 1) o["eos_token_id"] = new JsonArray(eos.Select(e => (JsonNode)e).ToArray());
        if ((tokenizer.PadId ?? config.PadTokenId) is { } pad) o["pad_token_id"] = pad;
        File.WriteAllText(path, o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>
    /// Greedy accuracy per level of the exported model on a StepMath split, through the evaluators: the same prompt
    /// file and rendering as training, <see cref="EvaluationRunner"/> with the exact-answer grader, a resumable run
    /// directory in OUT/eval.
    /// </summary>
    public async Task<ScoreReport> EvaluateAsync(IProgressSink progress, CancellationToken cancel = default)
    {
        var e = Config.Eval ?? throw new QuantReasonException("the config has no eval section", Config.Path);
        using var threads = UseThreads(Config);
        var split = StepMathSplits.Parse(e.Split);
        // The split goes through a JSONL file and the dataset loader, so StepMath is evaluated exactly as MATH-500 is.
        var jsonl = Path.Combine(Path.GetTempPath(), $"quantreason-stepmath-{Guid.NewGuid():N}.jsonl");
        IReadOnlyList<Problem> problems;
        string datasetDigest;
        try
        {
            using (var f = File.Create(jsonl))
                StepMathJsonl.Write(f, new StepMathGenerator(e.Seed).Generate(split, e.ProblemsPerLevel * StepMathGenerator.MaxLevel));
            problems = DatasetLoader.Load(jsonl, strict: true).Problems;
            using var read = File.OpenRead(jsonl);
            datasetDigest = Convert.ToHexStringLower(SHA256.HashData(read));
        }
        finally { File.Delete(jsonl); }
        var model = LoadTrained();
        // Activations and cache are evaluated as they were trained (QAT of W·A·KV·), not in f32.
        if (Trainer.Options.Activations is not null || Trainer.Options.KvCache is not null)
            model.Transformer.UseSchemes(Trainer.Options.Activations, Trainer.Options.KvCache);
        var tokenizer = TokenizerLoader.FromDirectory(Config.OutputDir);
        var manifest = new RunManifest
        {
            RunId = $"{Path.GetFileName(Config.OutputDir.TrimEnd('/'))}-{split.Name()}-greedy",
            Model = OverPackedBase ? RunIdentity.Model(Config.BaseModel!, model.Config, EvalDir) : RunIdentity.Model(Config.OutputDir, model.Config, EvalDir),
            Adapter = OverPackedBase ? RunIdentity.Adapter(AdapterDir, EvalDir) : null,
            Training = new TrainingInfo(IsQat ? "qat" : Config.Dpo is not null ? "dpo" : Config.Lora is null ? "sft" : Config.QloraGroupSize is null && !OverPackedBase ? "lora" : "qlora",
                null, Config.Dpo is null ? null : Corpus.Sequences.Count, Config.Trainer.Seed),
            Dataset = new DatasetInfo($"stepmath-{split.Name()}", null, datasetDigest, problems.Count),
            Prompt = new PromptInfo(Prompt.Name, Prompt.Digest),
            Generation = new GenerationInfo(e.MaxNewTokens, 0, 1, 0, 0, 1),
            Backend = new BackendInfo("in-process", null, 0, 0),
            Tags = model.Transformer.SchemeTags,
        };
        using var run = RunDirectory.OpenOrCreate(EvalDir, manifest);
        // The evaluators' own path (prompt template → ModelSession), so the accuracy is what `quantreason eval` reports.
        using var session = ModelSession.Create(model, tokenizer, maxBatch: EvalBatch);
        await EvaluationRunner.RunAsync(problems, Prompt, new RuntimeTextGenerator(session), run, progress, EvalBatch, cancel);
        return Scoring.Score(RunDirectory.ReadRunPredictions(EvalDir));
    }

    /// <summary>training.md: setup, loss-curve samples, time and throughput, and the accuracy table.</summary>
    public void WriteSummary(ScoreReport? score, string? note = null)
    {
        var log = File.Exists(LogPath) ? ReadLog(LogPath) : [];
        var c = Config;
        var m = Trainer.Model.Config;
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine($"# Training summary: {Path.GetFileName(c.OutputDir.TrimEnd('/'))}").AppendLine();
        sb.AppendLine(string.Create(inv, $"Written by `quantreason train --config {Path.GetFileName(c.Path)}`. Model: {m.Architecture.HfClass}, hidden {m.HiddenSize}, {m.NumLayers} layers, {m.NumHeads} heads ({m.NumKvHeads} kv), SwiGLU {m.IntermediateSize}, vocab {m.VocabSize}, tied embeddings {m.TieWordEmbeddings.ToString().ToLowerInvariant()}, {m.ParameterCount:N0} parameters, f32."));
        sb.AppendLine();
        var o = Trainer.Options;
        sb.AppendLine(string.Create(inv, $"Data: {Corpus.Sequences.Count:N0} sequences ({(c.Data.JsonlPath is null ? $"StepMath {c.Data.StepMathSplit} split, seed {c.Data.StepMathSeed}" : c.Data.JsonlPath)}), prompt `{Prompt.Name}` rendered by the tokenizer's chat template, loss on solution + eos only, {Corpus.MeanTargets:F1} targets per sequence, longest sequence {Corpus.LongestSequence} tokens."));
        sb.AppendLine();
        sb.AppendLine(string.Create(inv, $"Optimizer: AdamW lr {o.LearningRate:G4} (β {o.AdamW.Beta1}, {o.AdamW.Beta2}; wd {o.AdamW.WeightDecay}), {o.WarmupSteps} warmup steps then cosine to {o.MinLrRatio}·lr, clip {o.ClipNorm}; {o.Steps} steps of {o.BatchSize} sequences (micro-batches of {o.MicroBatchSize}), seed {o.Seed}, {Kernels.KernelThreads.Count} threads."));
        sb.AppendLine();
        if (log.Count > 0)
        {
            double wall = log.Sum(l => l.Seconds), cpu = log.Sum(l => l.CpuSeconds);
            long tokens = log.Sum(l => (long)l.Tokens), targets = log.Sum(l => (long)l.Targets);
            sb.AppendLine("## Time and throughput").AppendLine();
            sb.AppendLine("| steps | target tokens | processed tokens | wall time | CPU time | tokens/s (wall) | tokens/s per CPU-second |");
            sb.AppendLine("|---|---|---|---|---|---|---|");
            sb.AppendLine(string.Create(inv, $"| {log.Count} | {targets:N0} | {tokens:N0} | {wall / 60:F1} min | {cpu / 60:F1} min | {tokens / wall:F0} | {tokens / cpu:F0} |"));
            sb.AppendLine();
            sb.AppendLine("Wall time is the sum of step times (a resumed run's pauses are not counted). The machine was shared with other " +
                          "jobs while training, so the CPU-time rate is the stable figure.").AppendLine();
            sb.AppendLine("## Loss curve (samples of train-log.jsonl; mean over the steps since the previous row)").AppendLine();
            sb.AppendLine("| step | loss | lr | tokens/s |");
            sb.AppendLine("|---|---|---|---|");
            int rows = Math.Min(20, log.Count), prev = 0;
            for (int r = 1; r <= rows; r++)
            {
                int upto = (int)Math.Round((double)log.Count * r / rows);
                var span = log.Skip(prev).Take(upto - prev).ToList();
                if (span.Count == 0) continue;
                var last = span[^1];
                sb.AppendLine(string.Create(inv, $"| {last.Step} | {span.Average(l => l.Loss):F4} | {last.LearningRate:G3} | {span.Sum(l => (double)l.Tokens) / span.Sum(l => l.Seconds):F0} |"));
                prev = upto;
            }
            sb.AppendLine();
        }
        if (score is not null)
        {
            sb.AppendLine(string.Create(inv, $"## Greedy accuracy (FP32) on the StepMath {c.Eval!.Split} split, seed {c.Eval.Seed}")).AppendLine();
            sb.AppendLine("Through the evaluators: `EvaluationRunner` with the in-process runtime, the exact-answer grader, the same prompt file. Predictions: `eval/predictions.jsonl`.").AppendLine();
            sb.AppendLine("| level | problems | correct | accuracy | 95% CI |");
            sb.AppendLine("|---|---|---|---|---|");
            foreach (var cell in score.ByLevel.Append(score.Overall))
                sb.AppendLine(string.Create(inv, $"| {cell.Group.Replace("Level ", "")} | {cell.N} | {cell.Correct} | {cell.Accuracy:P1} | {cell.Low:P1}–{cell.High:P1} |"));
            sb.AppendLine();
        }
        if (note is not null) sb.AppendLine(note).AppendLine();
        File.WriteAllText(Path.Combine(c.OutputDir, "training.md"), sb.ToString());
    }
}
