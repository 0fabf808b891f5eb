using System.Diagnostics;
using System.Text.Json;
using QuantReason.Models;

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

    public void Validate()
    {
        if (Steps <= 0) throw new QuantReasonException($"steps must be positive, got {Steps}", "trainer");
        if (BatchSize <= 0 || MicroBatchSize <= 0 || BatchSize % MicroBatchSize != 0)
            throw new QuantReasonException($"batch size {BatchSize} must be a positive multiple of the micro-batch size {MicroBatchSize}", "trainer");
        if (!(ClipNorm >= 0)) throw new QuantReasonException($"clip norm must be non-negative, got {ClipNorm}", "trainer");
        Schedule.Validate();
        AdamW.Validate();
        FakeQuant?.Validate();
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

    public Trainer(TrainableModel model, TrainerOptions options)
    {
        options.Validate();
        Model = model;
        Options = options;
        if (options.FakeQuant is not null) model.SetFakeQuant(options.FakeQuant);
        Optimizer = new AdamW(model.Trainable, options.AdamW);
        if (Optimizer.Parameters.Count == 0) throw new QuantReasonException("the model has no trainable parameters", "trainer");
    }

    /// <summary>A fresh model from <paramref name="config"/>, initialised from the options' seed.</summary>
    public static Trainer FromScratch(ModelConfig config, TrainerOptions options) => new(TrainableModel.Create(config, options.Seed), options);

    public int StepsDone => Optimizer.Step;

    public StepResult Step(ISequenceSource source)
    {
        var sw = Stopwatch.StartNew();
        var batch = source.Next(Options.BatchSize);
        batch.Validate(Model.Config.VocabSize);
        int total = batch.TargetCount;
        Model.ZeroGrad();
        double lossSum = 0;
        for (int r = 0; r < batch.Batch; r += Options.MicroBatchSize)
        {
            var micro = batch.Rows(r, Math.Min(Options.MicroBatchSize, batch.Batch - r));
            var l = CausalLmLoss.ForwardBackward(Model, micro, normalizer: total);
            lossSum += (double)l.Loss * l.Targets;
        }
        float norm = AdamW.ClipGradNorm(Optimizer.Parameters, Options.ClipNorm);
        float lr = Options.Schedule.At(Optimizer.Step);
        Optimizer.Update(lr);
        return new StepResult(Optimizer.Step, total == 0 ? 0 : (float)(lossSum / total), total, batch.Tokens, norm, lr, sw.Elapsed.TotalSeconds);
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
        Model.Save(dir);
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
        var saved = TrainableModel.Load(dir);
        foreach (var (p, q) in Model.Parameters.Zip(saved.Parameters))
        {
            if (p.Name != q.Name || p.Value.Length != q.Value.Length)
                throw new QuantReasonException($"checkpoint tensor {q.Name} does not match the model's {p.Name}", dir);
            q.Value.CopyTo(p.Value, 0);
        }
        Optimizer.Load(Path.Combine(dir, OptimizerFile));
        if (Optimizer.Step != state.Step) throw new QuantReasonException($"optimizer step {Optimizer.Step} differs from trainer step {state.Step}", statePath);
        source.Position = state.SourcePosition;
    }

    sealed record TrainerState(int Step, long SourcePosition);
}
