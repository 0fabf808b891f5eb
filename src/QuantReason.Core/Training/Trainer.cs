using System.Diagnostics;
using System.Text.Json;
using QuantReason.Models;
using QuantReason.Data.StepMath;

namespace QuantReason.Training;

/// <summary>Hyper-parameters of a training run, validated once by <see cref="Validate"/>.</summary>
public sealed record TrainerOptions
{
    public int Steps { get; init; } = 1000;
    /// <summary>Sequences per optimizer step.</summary>
    public int BatchSize { get; init; } = 256;
    /// <summary>Sequences per forward/backward; BatchSize / MicroBatchSize micro-batches accumulate into one step.</summary>
    public int MicroBatchSize { get; init; } = 64;
    public float LearningRate { get; init; } = 3e-3f;
    public int WarmupSteps { get; init; } = 100;
    public float MinLrRatio { get; init; } = 0.1f;
    public AdamWOptions AdamW { get; init; } = new(0.9f, 0.95f, 1e-8f, 0.1f);
    /// <summary>Global gradient-norm clip; 0 disables.</summary>
    public float ClipNorm { get; init; } = 1f;
    public int Seed { get; init; }
    /// <summary>QAT: fake-quantize every decoder linear's weight in the forward.</summary>
    public FakeQuantOptions? FakeQuant { get; init; }
    /// <summary>QAT of activations: every decoder linear's input fake-quantized per token (W·A·).</summary>
    public Weights.ActivationScheme? Activations { get; init; }
    /// <summary>QAT of the KV cache: keys and values fake-quantized per token, head and group (KV·).</summary>
    public Weights.ActivationScheme? KvCache { get; init; }
    /// <summary>DPO with this β: each batch holds BatchSize chosen rows then BatchSize rejected rows
    /// (<see cref="PreferencePairSource"/>), the model's adapters are the policy and its frozen base the reference.</summary>
    public float? DpoBeta { get; init; }
    /// <summary>RPO: weight of the chosen answers' mean NLL added to the DPO loss (0 = plain DPO).</summary>
    public float DpoRpoAlpha { get; init; }
    /// <summary>Knowledge distillation from a teacher model passed to the <see cref="Trainer"/>.</summary>
    public DistillOptions? Distill { get; init; }

    public void Validate()
    {
        if (Steps <= 0) throw new QuantReasonException($"steps must be positive, got {Steps}", "trainer");
        if (BatchSize <= 0 || MicroBatchSize <= 0 || BatchSize % MicroBatchSize != 0)
            throw new QuantReasonException($"batch size {BatchSize} must be a positive multiple of the micro-batch size {MicroBatchSize}", "trainer");
        if (!(ClipNorm >= 0)) throw new QuantReasonException($"clip norm must be non-negative, got {ClipNorm}", "trainer");
        Schedule.Validate();
        AdamW.Validate();
        FakeQuant?.Validate();
        Distill?.Validate();
        if (Distill is not null && DpoBeta is not null) throw new QuantReasonException("distillation and DPO cannot be combined", "trainer");
        Activations?.Validated("activations");
        KvCache?.Validated("kv_cache");
        if (DpoBeta is { } beta)
        {
            if (!(beta > 0)) throw new QuantReasonException($"DPO beta must be positive, got {beta}", "trainer");
            if (!(DpoRpoAlpha >= 0)) throw new QuantReasonException($"RPO alpha must be ≥ 0, got {DpoRpoAlpha}", "trainer");
            if (MicroBatchSize != BatchSize)
                throw new QuantReasonException($"DPO runs each step in one forward: micro-batch size {MicroBatchSize} must equal the batch size {BatchSize}", "trainer");
        }
    }

    public LrSchedule Schedule => new(LearningRate, WarmupSteps, Steps, MinLrRatio);
}

/// <summary>What one optimizer step did.</summary>
public sealed record StepResult(int Step, float Loss, int Targets, int Tokens, float GradNorm, float LearningRate, double Seconds);

/// <summary>
/// Trains a <see cref="TrainableModel"/> on token sequences: micro-batched forward/backward with gradient accumulation,
/// global-norm clipping, AdamW with a warmup-cosine schedule. For a fixed seed, source and thread count every run is
/// bit-identical (kernels split work by output rows only; reductions run in a fixed order).
/// </summary>
public sealed class Trainer
{
    public TrainableModel Model { get; }
    public TrainerOptions Options { get; }
    public AdamW Optimizer { get; }
    /// <summary>The frozen teacher whose logits the student distils (<see cref="TrainerOptions.Distill"/>).</summary>
    public TrainableModel? Teacher { get; }

    public Trainer(TrainableModel model, TrainerOptions options, TrainableModel? teacher = null)
    {
        options.Validate();
        if ((options.Distill is null) != (teacher is null))
            throw new QuantReasonException(teacher is null ? "distillation needs a teacher model" : "a teacher model needs distillation options", "trainer");
        if (teacher is not null)
        {
            if (teacher.Config.VocabSize != model.Config.VocabSize)
                throw new QuantReasonException($"the teacher's vocabulary has {teacher.Config.VocabSize} tokens, the student's {model.Config.VocabSize}: distillation compares logits token by token", "distill.teacher");
            foreach (var p in teacher.Parameters) p.Trainable = false;
        }
        Teacher = teacher;
        Model = model;
        Options = options;
        if (options.FakeQuant is not null) model.SetFakeQuant(options.FakeQuant);
        if (options.Activations is not null || options.KvCache is not null) model.SetActivationQuant(options.Activations, options.KvCache);
        Optimizer = new AdamW(model.Trainable, options.AdamW);
        if (Optimizer.Parameters.Count == 0) throw new QuantReasonException("the model has no trainable parameters", "trainer");
    }

    /// <summary>A fresh model from <paramref name="config"/>, initialised from the options' seed.</summary>
    public static Trainer FromScratch(ModelConfig config, TrainerOptions options) => new(TrainableModel.Create(config, options.Seed), options);

    public int StepsDone => Optimizer.Step;

    public StepResult Step(ISequenceSource source)
    {
        if (Options.DpoBeta is { } beta) return StepDpo(source, beta);
        var sw = Stopwatch.StartNew();
        var batch = source.Next(Options.BatchSize);
        batch.Validate(Model.Config.VocabSize);
        int total = batch.TargetCount;
        Model.ZeroGrad();
        double lossSum = 0;
        int processed = 0;
        foreach (var micro in MicroBatches(batch, Options.MicroBatchSize))
        {
            // The teacher's logits for the same micro-batch, computed on the fly (its own buffers, no gradients).
            var teacherLogits = Teacher?.Forward(micro.Ids, micro.Batch, micro.SeqLen);
            var l = CausalLmLoss.ForwardBackward(Model, micro, normalizer: total, teacherLogits,
                Options.Distill?.Alpha ?? 0f, Options.Distill?.Temperature ?? 1f);
            lossSum += (double)l.Loss * l.Targets;
            processed += micro.Tokens;
        }
        float norm = AdamW.ClipGradNorm(Optimizer.Parameters, Options.ClipNorm);
        float lr = Options.Schedule.At(Optimizer.Step);
        Optimizer.Update(lr);
        return new StepResult(Optimizer.Step, total == 0 ? 0 : (float)(lossSum / total), total, processed, norm, lr, sw.Elapsed.TotalSeconds);
    }

    /// <summary>One DPO step on BatchSize pairs: rows [0, n) of the source's batch are chosen, [n, 2n) rejected.</summary>
    StepResult StepDpo(ISequenceSource source, float beta)
    {
        var sw = Stopwatch.StartNew();
        var batch = source.Next(Options.BatchSize);
        if (batch.Batch != 2 * Options.BatchSize)
            throw new QuantReasonException($"a DPO batch needs {2 * Options.BatchSize} rows (chosen then rejected), the source gave {batch.Batch}", "trainer");
        batch.Validate(Model.Config.VocabSize);
        int n = Options.BatchSize;
        Model.ZeroGrad();
        var r = DpoLoss.ForwardBackward(Model, batch.Rows(0, n), batch.Rows(n, n), beta, Options.DpoRpoAlpha);
        float norm = AdamW.ClipGradNorm(Optimizer.Parameters, Options.ClipNorm);
        float lr = Options.Schedule.At(Optimizer.Step);
        Optimizer.Update(lr);
        return new StepResult(Optimizer.Step, r.Loss, batch.TargetCount, batch.Tokens, norm, lr, sw.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Splits a batch into micro-batches of rows of similar length, each cut after its last target. Under a causal mask
    /// positions after a row's last target cannot change its loss, so the gradient is the full batch's; mixed-length
    /// batches (StepMath levels 1–5) then cost about a third less compute than padding every row to the longest.
    /// </summary>
    internal static IEnumerable<TokenBatch> MicroBatches(TokenBatch batch, int microBatchSize)
    {
        int s = batch.SeqLen;
        var need = new int[batch.Batch]; // [rows] positions up to and including the last target
        for (int r = 0; r < batch.Batch; r++)
            for (int j = s - 1; j >= 1; j--)
                if (batch.LossMask[r * s + j] != 0) { need[r] = j + 1; break; }
        var order = Enumerable.Range(0, batch.Batch).OrderBy(r => need[r]).ToArray(); // stable: ties keep batch order
        for (int start = 0; start < order.Length; start += microBatchSize)
        {
            int rows = Math.Min(microBatchSize, order.Length - start);
            int len = Math.Max(Math.Min(2, s), need[order[start + rows - 1]]);
            var ids = new int[rows * len];
            var mask = new int[rows * len];
            for (int i = 0; i < rows; i++)
            {
                int r = order[start + i];
                batch.Ids.AsSpan(r * s, len).CopyTo(ids.AsSpan(i * len));
                batch.LossMask.AsSpan(r * s, len).CopyTo(mask.AsSpan(i * len));
            }
            yield return new TokenBatch(ids, mask, rows, len);
        }
    }

    /// <summary>Runs the remaining steps, reporting each; saves a checkpoint every <paramref name="checkpointEvery"/> steps
    /// (and at the end) when <paramref name="checkpointDir"/> is given.</summary>
    public IReadOnlyList<StepResult> Run(ISequenceSource source, IProgressSink progress, Action<StepResult>? onStep = null,
        string? checkpointDir = null, int checkpointEvery = 0, CancellationToken cancel = default)
    {
        var log = new List<StepResult>();
        progress.Start("train", Options.Steps);
        progress.Advance(StepsDone);
        while (StepsDone < Options.Steps && !cancel.IsCancellationRequested)
        {
            var s = Step(source);
            log.Add(s);
            onStep?.Invoke(s);
            progress.Advance(1, $"loss {s.Loss:F4}  {s.Tokens / s.Seconds:F0} tok/s");
            if (checkpointDir is not null && checkpointEvery > 0 && s.Step % checkpointEvery == 0) SaveCheckpoint(checkpointDir, source);
        }
        if (checkpointDir is not null) SaveCheckpoint(checkpointDir, source);
        progress.Finish();
        return log;
    }

    const string StateFile = "trainer_state.json";
    const string OptimizerFile = "optimizer.safetensors";

    /// <summary>Model (Hugging Face layout), optimizer moments and the step / source position, to resume from.</summary>
    public void SaveCheckpoint(string dir, ISequenceSource source)
    {
        // With adapters the frozen base never changes: the adapters are the model state.
        if (Model.Adapters.Any())
        {
            Directory.CreateDirectory(dir);
            Model.SaveAdapters(dir); // PEFT layout: adapter_config.json + adapter_model.safetensors
        }
        else
        {
            Model.Save(dir);
            QatCheckpoint.SaveGrids(Model, dir);
        }
        Optimizer.Save(Path.Combine(dir, OptimizerFile));
        File.WriteAllText(Path.Combine(dir, StateFile), JsonSerializer.Serialize(new TrainerState(Optimizer.Step, source.Position)));
    }

    /// <summary>Restores a checkpoint written by <see cref="SaveCheckpoint"/> into this trainer's model, optimizer and source.</summary>
    public void Resume(string dir, ISequenceSource source)
    {
        var statePath = Path.Combine(dir, StateFile);
        if (!File.Exists(statePath)) throw new QuantReasonException("no trainer_state.json: not a trainer checkpoint", dir);
        var state = JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(statePath))
                    ?? throw new QuantReasonException("empty trainer state", statePath);
        if (Model.Adapters.Any()) Model.LoadAdapters(dir);
        else
        {
            RestoreWeights(Model, dir);
            QatCheckpoint.LoadGrids(Model, dir);
        }
        Optimizer.Load(Path.Combine(dir, OptimizerFile));
        if (Optimizer.Step != state.Step) throw new QuantReasonException($"optimizer step {Optimizer.Step} differs from trainer step {state.Step}", statePath);
        source.Position = state.SourcePosition;
    }

    /// <summary>Copies a checkpoint's weights (Hugging Face layout) into a model of the same shape, tensor by tensor.</summary>
    public static void RestoreWeights(TrainableModel model, string dir)
    {
        var saved = TrainableModel.Load(dir);
        if (saved.Parameters.Count != model.Parameters.Count)
            throw new QuantReasonException($"checkpoint holds {saved.Parameters.Count} parameters, the model {model.Parameters.Count}", dir);
        foreach (var (p, q) in model.Parameters.Zip(saved.Parameters))
        {
            if (p.Name != q.Name || !p.Shape.SequenceEqual(q.Shape))
                throw new QuantReasonException($"checkpoint tensor {q.Name} [{string.Join(", ", q.Shape)}] does not match the model's {p.Name} [{string.Join(", ", p.Shape)}]", dir);
            q.Value.CopyTo(p.Value, 0);
        }
    }

    sealed record TrainerState(int Step, long SourcePosition);
}
