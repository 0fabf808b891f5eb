namespace QuantReason.Data.StepMath;

/// <summary>Generator settings, validated once by <see cref="Validate"/>.</summary>
public sealed record StepMathOptions
{
    /// <summary>Share of word problems at each level (the rest are arithmetic chains).</summary>
    public double WordFraction { get; init; } = 0.3;
    /// <summary>Cap on prompt + solution tokens (tags count one each); 94 leaves bos and eos inside 96.</summary>
    public int MaxTokens { get; init; } = 94;
    /// <summary>Cap on every intermediate result's magnitude.</summary>
    public long MaxMagnitude { get; init; } = 9999;

    public StepMathOptions Validate()
    {
        if (WordFraction is < 0 or > 1) throw new QuantReasonException($"word fraction {WordFraction} is not in [0, 1]", "stepmath options");
        if (MaxTokens < 24) throw new QuantReasonException($"max tokens {MaxTokens} is below 24, too short for any problem", "stepmath options");
        if (MaxMagnitude < 100) throw new QuantReasonException($"max magnitude {MaxMagnitude} is below 100", "stepmath options");
        return this;
    }
}
