using QuantReason.Evaluation.Runs;
using QuantReason.Quantization;
using QuantReason.Quantization.Model;
using QuantReason.Training;
using QuantReason.Weights;

namespace QuantReason.Jobs;

/// <summary>
/// One QAT row of a study, up to its packed checkpoint: quantizes the init (GPTQ/AWQ calibrated on the row's domain, or
/// RTN) into <c>OUT/models/RUN-init</c>, trains the fake-quantized student from it on the StepMath train split — distilling
/// the study's full-precision model or on cross-entropy — into <c>OUT/models/RUN</c> (resumable from its checkpoint
/// folder), and exports it on the training grid. Returns the model directory and what the manifest records.
/// </summary>
public static class QatJob
{
    public static (string ModelDir, TrainingInfo Training, CalibrationInfo? Calibration) Run(StudySpec spec, StudyConfiguration c,
        string outDir, string runId, IProgressSink progress, Action<string> say, CancellationToken cancel)
    {
        var q = c.Qat ?? throw new ArgumentException("not a QAT row", nameof(c));
        var h = spec.QatTraining;
        int bits = c.Bits!.Value, group = c.GroupSize!.Value;
        string? initDir = null;
        CalibrationInfo? calInfo = null;
        if (q.Init != "none")
        {
            var method = QuantizeOptions.ParseMethod(q.Init);
            var cal = spec.Calibration with { Source = q.CalibrationSource, ChatTemplate = q.Calibration == "stepmath" && spec.Calibration.ChatTemplate };
            var options = QuantizeOptions.Create(method, bits, group, c.Sym, c.DescAct, q.Calibrated ? cal : null);
            initDir = Path.Combine(outDir, "models", runId + "-init");
            bool done = CheckpointQuantization.Load(initDir) is not null && !Directory.Exists(Path.Combine(initDir, ".quantize"))
                        && File.Exists(Path.Combine(initDir, "model.safetensors"));
            if (!done) ModelQuantizer.Run(spec.Model, initDir, options, progress, cancel);
            if (q.Calibrated) calInfo = new CalibrationInfo(cal.Source, cal.Samples, cal.Length, (int)cal.Seed);
        }
        var modelDir = Path.Combine(outDir, "models", runId);
        var config = new TrainConfig
        {
            Path = spec.Path,
            BaseModel = spec.Model,
            Init = initDir,
            LearnScales = initDir is not null && h.LearnScales,
            Data = new TrainData("train", h.DataSeed, q.Steps * h.BatchSize, 0.3, null, spec.Prompt, 96),
            Trainer = new TrainerOptions
            {
                Steps = q.Steps, BatchSize = h.BatchSize, MicroBatchSize = h.MicroBatchSize, LearningRate = h.LearningRate,
                WarmupSteps = 0, MinLrRatio = 0.1f, AdamW = new AdamWOptions(0.9f, 0.95f, 1e-8f, 0f), ClipNorm = 1f, Seed = h.Seed,
                FakeQuant = initDir is null ? new FakeQuantOptions(bits, group) : null,
                Distill = q.Objective == "kd" ? new DistillOptions(h.Alpha, h.Temperature) : null,
            },
            Distill = q.Objective == "kd" ? new DistillSection(spec.Model, new DistillOptions(h.Alpha, h.Temperature)) : null,
            CheckpointEvery = h.CheckpointEvery,
            OutputDir = modelDir,
        };
        var run = TrainingRun.Prepare(config, say);
        run.Train(progress, cancel: cancel);
        cancel.ThrowIfCancellationRequested();
        run.Export();
        var training = new TrainingInfo("qat", null, null, h.Seed, Stage: "qat", Init: q.Init, Objective: q.Objective,
            Calibration: q.Calibrated ? q.Calibration : null, Steps: q.Steps, Hyperparameters: h.AsDictionary());
        return (modelDir, training, calInfo);
    }
}
