using System.Text.Json;
using QuantReason.Training;

namespace QuantReason.Jobs;

/// <summary>A finished training stage: the model it exported and what a manifest records about it.</summary>
public sealed record RestoreStage(string Stage, string ModelDir, int Steps, double Seconds);

/// <summary>
/// Restores a quantized checkpoint as the study does: (1) format alignment — LoRA SFT on reference step-tag solutions of
/// training-split problems; (2) DPO (sigmoid loss) on preference pairs with the aligned model as the reference (its
/// merged weights are the frozen base the DPO adapters are trained over, and the adapters off are the reference policy).
/// Each stage is a resumable <see cref="TrainingRun"/> into its own folder and ends with <c>stage.json</c>; a folder that
/// holds it is finished and is not trained again.
/// <para>The quantized base is emulated: <see cref="DequantizedBase"/> writes the f32 model of the checkpoint's
/// dequantized weights, the adapters train over it frozen and are merged for evaluation. Once the trainer loads quantized
/// checkpoints itself, <see cref="TrainingBase"/> becomes the quantized folder (one line) and evaluation applies the
/// adapter unmerged.</para>
/// </summary>
public static class RestorationJob
{
    public const string StageFile = "stage.json";

    /// <summary>The checkpoint the trainer starts from for a quantized model: today its dequantized f32 copy
    /// (<paramref name="dequantDir"/>, written once).</summary>
    public static string TrainingBase(string quantizedDir, string dequantDir)
    {
        if (!File.Exists(Path.Combine(dequantDir, "model.safetensors"))) DequantizedBase.Write(quantizedDir, dequantDir);
        return dequantDir; // with quantized frozen bases in TrainableModel.Load: `return quantizedDir;`
    }

    /// <summary>Format alignment of <paramref name="baseDir"/> into <paramref name="outDir"/>.</summary>
    public static RestoreStage Align(string baseDir, AlignOptions o, string prompt, int trainSeed, string outDir, IProgressSink progress,
        Action<string>? say = null, CancellationToken cancel = default)
    {
        int steps = (int)Math.Ceiling((double)o.Problems * o.Epochs / o.Batch);
        var config = Config(baseDir, outDir, new TrainData("train", trainSeed, o.Problems, 0.3, null, prompt, MaxLength(baseDir)),
            o.Rank, o.Alpha, o.Seed, new TrainerOptions
            {
                Steps = steps, BatchSize = o.Batch, MicroBatchSize = o.Batch, LearningRate = o.Lr,
                WarmupSteps = (int)Math.Round(o.WarmupRatio * steps), MinLrRatio = 0, Seed = o.Seed,
                AdamW = new AdamWOptions(0.9f, 0.999f, 1e-8f, 0f),
            }, null);
        return Run("align", config, progress, say, cancel);
    }

    /// <summary>DPO of the aligned model <paramref name="alignedDir"/> on <paramref name="pairsPath"/> into <paramref name="outDir"/>.</summary>
    public static RestoreStage Dpo(string alignedDir, string pairsPath, int pairs, DpoOptions o, string prompt, string outDir, IProgressSink progress,
        Action<string>? say = null, CancellationToken cancel = default)
    {
        int batch = Math.Min(o.Batch, pairs);
        int steps = (int)Math.Ceiling((double)pairs * o.Epochs / batch);
        var config = Config(alignedDir, outDir, new TrainData(null, 0, 0, 0, null, prompt, MaxLength(alignedDir)), o.Rank, o.Alpha, o.Seed,
            new TrainerOptions
            {
                Steps = steps, BatchSize = batch, MicroBatchSize = batch, LearningRate = o.Lr,
                WarmupSteps = (int)Math.Round(o.WarmupRatio * steps), MinLrRatio = 0, Seed = o.Seed, DpoBeta = o.Beta, DpoRpoAlpha = o.RpoAlpha,
                AdamW = new AdamWOptions(0.9f, 0.999f, 1e-8f, 0f),
            }, new DpoSection(pairsPath, o.Beta));
        return Run("dpo", config, progress, say, cancel);
    }

    /// <summary>The stage recorded in <paramref name="dir"/>, or null when it has not finished.</summary>
    public static RestoreStage? Finished(string dir)
    {
        var path = Path.Combine(dir, StageFile);
        // the folder may have moved since: the stage's model is where its stage.json is
        return File.Exists(path) ? JsonSerializer.Deserialize<RestoreStage>(File.ReadAllText(path))! with { ModelDir = dir } : null;
    }

    // Every sequence fits: prompt + a max-length answer + eos stays inside the model's positions.
    static int MaxLength(string dir) => Models.ModelConfig.Load(dir).MaxPositionEmbeddings;

    static TrainConfig Config(string baseDir, string outDir, TrainData data, int rank, float alpha, int seed, TrainerOptions trainer, DpoSection? dpo) => new()
    {
        Path = Path.Combine(outDir, StageFile),
        BaseModel = baseDir,
        Data = data,
        Trainer = trainer,
        CheckpointEvery = 50,
        OutputDir = outDir,
        Lora = new LoraSection(rank, alpha, Models.LayerWiring.LlamaFamily.Projections.Select(p => Models.WeightNames.Module(p.Id)).ToList(), seed),
        Dpo = dpo,
    };

    static RestoreStage Run(string stage, TrainConfig config, IProgressSink progress, Action<string>? say, CancellationToken cancel)
    {
        if (Finished(config.OutputDir) is { } done) return done;
        var run = TrainingRun.Prepare(config, say);
        var log = run.Train(progress, cancel: cancel);
        cancel.ThrowIfCancellationRequested();
        run.Export();
        run.WriteSummary(null, $"Restoration stage `{stage}` of `quantreason study`.");
        var seconds = File.Exists(run.LogPath) ? TrainingRun.ReadLog(run.LogPath).Sum(l => l.Seconds) : log.Sum(l => l.Seconds);
        var result = new RestoreStage(stage, config.OutputDir, run.Trainer.StepsDone, Math.Round(seconds, 2));
        // the adapters' checkpoint is only needed to resume: the exported model is the stage's result
        if (Directory.Exists(run.CheckpointDir)) Directory.Delete(run.CheckpointDir, recursive: true);
        File.WriteAllText(Path.Combine(config.OutputDir, StageFile), JsonSerializer.Serialize(result) + "\n");
        return result;
    }
}
