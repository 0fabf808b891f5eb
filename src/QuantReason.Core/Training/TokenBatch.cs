namespace QuantReason.Training;

/// <summary>
/// Token ids [Batch, SeqLen] and a loss mask of the same shape (1 = this token is a target when predicted from the
/// previous position). Padding goes at the end of a row with mask 0; causal attention keeps it from touching real tokens.
/// </summary>
public sealed record TokenBatch(int[] Ids, int[] LossMask, int Batch, int SeqLen)
{
    public int Tokens => Batch * SeqLen;

    public int[] Targets() => Ops.CrossEntropy.NextTokenTargets(Ids, LossMask, Batch, SeqLen);

    /// <summary>Target tokens: masked positions after the first of each row.</summary>
    public int TargetCount => Targets().Count(t => t >= 0);

    public void Validate(int vocab)
    {
        if (Batch <= 0 || SeqLen <= 0) throw new QuantReasonException($"batch shape [{Batch}, {SeqLen}] must be positive", "batch");
        if (Ids.Length != Batch * SeqLen || LossMask.Length != Ids.Length)
            throw new QuantReasonException($"ids ({Ids.Length}) and mask ({LossMask.Length}) must both hold {Batch}×{SeqLen}", "batch");
        for (int i = 0; i < Ids.Length; i++)
            if ((uint)Ids[i] >= (uint)vocab)
                throw new QuantReasonException($"token id {Ids[i]} is outside the vocabulary of {vocab}", $"batch row {i / SeqLen}, position {i % SeqLen}");
    }

    /// <summary>Rows [start, start+count) as their own batch (micro-batching for gradient accumulation).</summary>
    public TokenBatch Rows(int start, int count) =>
        new(Ids.AsSpan(start * SeqLen, count * SeqLen).ToArray(), LossMask.AsSpan(start * SeqLen, count * SeqLen).ToArray(), count, SeqLen);

    public static TokenBatch FromI64(long[] ids, long[] mask, int batch, int seqLen) =>
        new(ids.Select(v => checked((int)v)).ToArray(), mask.Select(v => checked((int)v)).ToArray(), batch, seqLen);
}
