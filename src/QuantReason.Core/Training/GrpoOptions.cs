using System.Globalization;

namespace QuantReason.Training;

/// <summary>Where a rollout's reward comes from.</summary>
public enum GrpoRewardSource
{
    /// <summary>The StepMath first-error verifier: correct only when no step and not the answer is wrong.</summary>
    Verifier,
    /// <summary>The equivalence grader on the boxed answer against the gold answer.</summary>
    Grader,
}

/// <summary>How per-token losses are averaged (TRL's loss_type).</summary>
public enum GrpoLossType
{
    /// <summary>Mean over each completion's tokens, then over completions (the GRPO paper).</summary>
    Grpo,
    /// <summary>Sum over every completion token of the batch / their count.</summary>
    Bnpo,
    /// <summary>Sum over every completion token / (completions × max_new_tokens) (Dr. GRPO: no length bias).</summary>
    DrGrpo,
}

/// <summary>
/// Group relative policy optimisation settings: <see cref="Group"/> sampled completions for each of
/// <see cref="PromptsPerStep"/> prompts per step, rewards from <see cref="Reward"/> plus <see cref="FormatWeight"/> when the
/// step-tag format is kept, group-normalised advantages, the ratio clipped to [1 − ε, 1 + ε], a k3 KL penalty β to the
/// frozen reference (the cold-start policy), and <see cref="Iterations"/> (μ) optimizer updates on each batch of rollouts.
/// </summary>
public sealed record GrpoOptions
{
    public int Group { get; init; } = 8;
    public int PromptsPerStep { get; init; } = 8;
    public float Temperature { get; init; } = 1f;
    public float TopP { get; init; } = 1f;
    public float Epsilon { get; init; } = 0.2f;
    public float Beta { get; init; } = 0.04f;
    /// <summary>No default: an RL run without a reward source is refused by <see cref="Validate"/>.</summary>
    public GrpoRewardSource? Reward { get; init; }
    public float FormatWeight { get; init; } = 0.1f;
    public int MaxNewTokens { get; init; } = 96;
    public int Iterations { get; init; } = 1;
    public GrpoLossType LossType { get; init; } = GrpoLossType.Grpo;
    /// <summary>Divide the centred rewards by the group's standard deviation (Dr. GRPO turns this off).</summary>
    public bool ScaleRewards { get; init; } = true;

    /// <summary>Completions per step (the batch the loss averages over).</summary>
    public int Completions => Group * PromptsPerStep;

    public void Validate(string where = "grpo")
    {
        if (Reward is null)
            throw new QuantReasonException("RL needs a reward source: set grpo.reward to 'verifier' (StepMath first-error verifier) or 'grader' (answer equivalence)", where);
        if (Group < 2) throw new QuantReasonException($"grpo.group must be at least 2 (advantages compare completions of one prompt), got {Group}", where);
        if (PromptsPerStep <= 0) throw new QuantReasonException($"grpo.prompts_per_step must be positive, got {PromptsPerStep}", where);
        if (!(Temperature > 0)) throw new QuantReasonException($"grpo.temperature must be positive (GRPO samples), got {Temperature}", where);
        if (!(TopP > 0 && TopP <= 1)) throw new QuantReasonException($"grpo.top_p must be in (0, 1], got {TopP}", where);
        if (!(Epsilon > 0 && Epsilon < 1)) throw new QuantReasonException($"grpo.epsilon must be in (0, 1), got {Epsilon}", where);
        if (!(Beta >= 0)) throw new QuantReasonException($"grpo.beta must be ≥ 0, got {Beta}", where);
        if (!(FormatWeight >= 0)) throw new QuantReasonException($"grpo.format_weight must be ≥ 0, got {FormatWeight}", where);
        if (MaxNewTokens <= 0) throw new QuantReasonException($"grpo.max_new_tokens must be positive, got {MaxNewTokens}", where);
        if (Iterations <= 0) throw new QuantReasonException($"grpo.iterations must be positive, got {Iterations}", where);
    }

    /// <summary>The YAML section (snake_case keys); parsed by <see cref="FromDto"/>.</summary>
    internal sealed class GrpoDto
    {
        public int? Group { get; set; }
        public int? PromptsPerStep { get; set; }
        public float? Temperature { get; set; }
        public float? TopP { get; set; }
        public float? Epsilon { get; set; }
        public float? Beta { get; set; }
        public string? Reward { get; set; }
        public float? FormatWeight { get; set; }
        public int? MaxNewTokens { get; set; }
        public int? Iterations { get; set; }
        public string? LossType { get; set; }
        public bool? ScaleRewards { get; set; }
    }

    internal static GrpoOptions FromDto(GrpoDto d, string where)
    {
        var defaults = new GrpoOptions();
        GrpoRewardSource? reward = d.Reward?.Trim().ToLowerInvariant() switch
        {
            null or "" => null,
            "verifier" => GrpoRewardSource.Verifier,
            "grader" => GrpoRewardSource.Grader,
            _ => throw new QuantReasonException($"grpo.reward '{d.Reward}' is not a reward source (verifier or grader)", where),
        };
        var lossType = d.LossType?.Trim().ToLowerInvariant() switch
        {
            null or "" or "grpo" => GrpoLossType.Grpo,
            "bnpo" => GrpoLossType.Bnpo,
            "dr_grpo" => GrpoLossType.DrGrpo,
            _ => throw new QuantReasonException($"grpo.loss_type '{d.LossType}' is not one of grpo, bnpo, dr_grpo", where),
        };
        var o = new GrpoOptions
        {
            Group = d.Group ?? defaults.Group,
            PromptsPerStep = d.PromptsPerStep ?? defaults.PromptsPerStep,
            Temperature = d.Temperature ?? defaults.Temperature,
            TopP = d.TopP ?? defaults.TopP,
            Epsilon = d.Epsilon ?? defaults.Epsilon,
            Beta = d.Beta ?? defaults.Beta,
            Reward = reward,
            FormatWeight = d.FormatWeight ?? defaults.FormatWeight,
            MaxNewTokens = d.MaxNewTokens ?? defaults.MaxNewTokens,
            Iterations = d.Iterations ?? defaults.Iterations,
            LossType = lossType,
            ScaleRewards = d.ScaleRewards ?? defaults.ScaleRewards,
        };
        o.Validate(where);
        return o;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"grpo G={Group} P={PromptsPerStep} T={Temperature} top_p={TopP} ε={Epsilon} β={Beta} reward={Reward} format={FormatWeight} max_new={MaxNewTokens} μ={Iterations} {LossType} scale={ScaleRewards}");
}
