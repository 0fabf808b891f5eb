using System.Text.Json;

namespace QuantReason.Training;

/// <summary>What one GRPO step's update did (loss, KL and clip fraction of its first iteration, before any update).</summary>
public sealed record GrpoUpdate(int Step, float Loss, float Kl, float ClipFraction, float GradNorm, float LearningRate, int CompletionTokens);

/// <summary>
/// The optimisation half of GRPO: given a step's rollouts and advantages, μ AdamW updates of the policy on
/// <see cref="GrpoLoss"/> against the frozen reference, with the run's clipping and warmup-cosine schedule (indexed by
/// GRPO step). The policy and reference get the same fake quantization, so the KL compares the models as they run.
/// Rollouts are the caller's (they need a reward, which lives above this layer); <see cref="ExportPolicy"/> hands them
/// the current weights. Checkpoints hold the policy, the optimizer moments and the step; the rollout seeds derive from
/// (seed, step), so that is the whole random state.
/// </summary>
public sealed class GrpoTrainer
{
    public TrainableModel Policy { get; }
    public TrainableModel? Reference { get; }
    public TrainerOptions Options { get; }
    public GrpoOptions Grpo { get; }
    public AdamW Optimizer { get; }
    public int StepsDone { get; private set; }

    public GrpoTrainer(TrainableModel policy, TrainableModel? reference, TrainerOptions options, GrpoOptions grpo)
    {
        options.Validate();
        grpo.Validate();
        if (grpo.Beta > 0 && reference is null) throw new QuantReasonException("grpo.beta > 0 needs a reference model (the cold-start checkpoint)", "grpo");
        if (reference is not null && reference.Config.VocabSize != policy.Config.VocabSize)
            throw new QuantReasonException($"the reference's vocabulary {reference.Config.VocabSize} differs from the policy's {policy.Config.VocabSize}", "grpo");
        Policy = policy;
        Reference = reference;
        Options = options;
        Grpo = grpo;
        policy.SetFakeQuant(options.FakeQuant);
        if (reference is not null)
        {
            reference.SetFakeQuant(options.FakeQuant);
            foreach (var p in reference.Parameters) p.Trainable = false;
        }
        Optimizer = new AdamW(policy.Trainable, options.AdamW);
        if (Optimizer.Parameters.Count == 0) throw new QuantReasonException("the policy has no trainable parameters", "grpo");
    }

    /// <summary>The policy's current weights as a runtime model for batched rollouts (an in-memory copy).</summary>
    public Runtime.Model ExportPolicy() => RuntimeExport.ToRuntime(Policy);

    public GrpoUpdate Update(GrpoBatch batch)
    {
        int micro = Options.MicroBatchSize;
        // μ = 1: the rollouts came from this policy, ρ = 1 and π_old needs no forward of its own.
        var old = Grpo.Iterations > 1 ? GrpoLoss.LogProbs(Policy, batch, Grpo.Temperature, micro) : null;
        float lr = Options.Schedule.At(StepsDone);
        GrpoLossResult? first = null;
        float norm = 0;
        for (int it = 0; it < Grpo.Iterations; it++)
        {
            Policy.ZeroGrad();
            var r = GrpoLoss.ForwardBackward(Policy, Reference, batch, Grpo, micro, old);
            first ??= r;
            norm = AdamW.ClipGradNorm(Optimizer.Parameters, Options.ClipNorm);
            Optimizer.Update(lr);
        }
        StepsDone++;
        return new GrpoUpdate(StepsDone, first!.Loss, first.Kl, first.ClipFraction, norm, lr, first.CompletionTokens);
    }

    const string StateFile = "trainer_state.json";
    const string OptimizerFile = "optimizer.safetensors";

    public void SaveCheckpoint(string dir)
    {
        Policy.Save(dir);
        Optimizer.Save(Path.Combine(dir, OptimizerFile));
        File.WriteAllText(Path.Combine(dir, StateFile), JsonSerializer.Serialize(new GrpoState(StepsDone, Optimizer.Step, Options.Seed)));
    }

    public void Resume(string dir)
    {
        var statePath = Path.Combine(dir, StateFile);
        if (!File.Exists(statePath)) throw new QuantReasonException("no trainer_state.json: not a GRPO checkpoint", dir);
        var state = JsonSerializer.Deserialize<GrpoState>(File.ReadAllText(statePath)) ?? throw new QuantReasonException("empty trainer state", statePath);
        if (state.Seed != Options.Seed) throw new QuantReasonException($"checkpoint seed {state.Seed} differs from the run's {Options.Seed}", statePath);
        Trainer.RestoreWeights(Policy, dir);
        Optimizer.Load(Path.Combine(dir, OptimizerFile));
        if (Optimizer.Step != state.OptimizerStep) throw new QuantReasonException($"optimizer step {Optimizer.Step} differs from the state's {state.OptimizerStep}", statePath);
        StepsDone = state.Step;
    }

    sealed record GrpoState(int Step, int OptimizerStep, int Seed);
}
