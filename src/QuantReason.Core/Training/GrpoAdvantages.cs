namespace QuantReason.Training;

/// <summary>
/// Group-normalised advantages: completions i = g·G … g·G + G − 1 answer the same prompt g, and
/// Â_i = (r_i − mean_g(r)) / (std_g(r) + 1e-4), std with Bessel's correction as torch.std (TRL); without scaling
/// Â_i = r_i − mean_g(r) (Dr. GRPO). A group whose rewards are all equal carries no signal: its advantages are 0.
/// </summary>
public static class GrpoAdvantages
{
    public const double StdEpsilon = 1e-4;

    /// <param name="rewards">[prompts·group], grouped by prompt</param>
    public static float[] Compute(ReadOnlySpan<float> rewards, int group, bool scale = true)
    {
        if (group < 2) throw new QuantReasonException($"a group needs at least 2 completions, got {group}", "grpo");
        if (rewards.Length % group != 0)
            throw new QuantReasonException($"{rewards.Length} rewards do not form groups of {group}", "grpo");
        var adv = new float[rewards.Length];
        for (int g = 0; g < rewards.Length; g += group)
        {
            var r = rewards.Slice(g, group);
            double mean = 0;
            foreach (var x in r) mean += x;
            mean /= group;
            double ss = 0;
            foreach (var x in r) ss += (x - mean) * (x - mean);
            double std = Math.Sqrt(ss / (group - 1));
            for (int i = 0; i < group; i++)
                adv[g + i] = (float)(scale ? (r[i] - mean) / (std + StdEpsilon) : r[i] - mean);
        }
        return adv;
    }
}
