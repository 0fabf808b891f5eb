namespace QuantReason.Training;

/// <summary>
/// A step's rollouts as the loss reads them: rows = prompt + sampled completion, padded at the end, with the completion
/// tokens (EOS included when it was sampled) as the only targets, and one advantage per row.
/// </summary>
public sealed record GrpoBatch(TokenBatch Tokens, float[] Advantages)
{
    /// <param name="prompts">[rows] prompt ids (the prompt of completion i repeated for its whole group)</param>
    /// <param name="completions">[rows] sampled ids</param>
    public static GrpoBatch Build(IReadOnlyList<int[]> prompts, IReadOnlyList<int[]> completions, float[] advantages, int padId)
    {
        int rows = prompts.Count;
        if (completions.Count != rows || advantages.Length != rows)
            throw new QuantReasonException($"{rows} prompts, {completions.Count} completions and {advantages.Length} advantages must agree", "grpo");
        int seq = Enumerable.Range(0, rows).Max(i => prompts[i].Length + completions[i].Length);
        var ids = new int[rows * seq];
        var mask = new int[rows * seq];
        Array.Fill(ids, padId);
        for (int i = 0; i < rows; i++)
        {
            if (prompts[i].Length == 0) throw new QuantReasonException($"rollout {i} has an empty prompt", "grpo");
            prompts[i].CopyTo(ids, i * seq);
            completions[i].CopyTo(ids, i * seq + prompts[i].Length);
            mask.AsSpan(i * seq + prompts[i].Length, completions[i].Length).Fill(1);
        }
        return new GrpoBatch(new TokenBatch(ids, mask, rows, seq), advantages);
    }
}
