namespace QuantReason.Training;

/// <summary>
/// Preference pairs for DPO as one sequence source: two <see cref="TokenSequenceSource"/>s over the chosen and the
/// rejected sequences with the same seed walk the pairs in the same shuffled order; <see cref="Next"/> returns
/// 2·rows rows, chosen then rejected, padded to one length (<see cref="DpoLoss"/> runs both halves in one forward).
/// </summary>
public sealed class PreferencePairSource : ISequenceSource
{
    readonly TokenSequenceSource _chosen, _rejected;
    readonly int _padId;

    public PreferencePairSource(TrainingCorpus chosen, TrainingCorpus rejected, int padId, int maxLength, int seed)
    {
        if (chosen.Sequences.Count != rejected.Sequences.Count)
            throw new QuantReasonException($"{chosen.Sequences.Count} chosen but {rejected.Sequences.Count} rejected sequences", "dpo");
        _chosen = new TokenSequenceSource(chosen.Sequences, padId, maxLength, seed, chosen.Masks);
        _rejected = new TokenSequenceSource(rejected.Sequences, padId, maxLength, seed, rejected.Masks);
        _padId = padId;
    }

    public long Position
    {
        get => _chosen.Position;
        set { _chosen.Position = value; _rejected.Position = value; }
    }

    public TokenBatch Next(int rows)
    {
        var c = _chosen.Next(rows);
        var r = _rejected.Next(rows);
        int len = Math.Max(c.SeqLen, r.SeqLen);
        var ids = new int[2 * rows * len];
        var mask = new int[2 * rows * len];
        Array.Fill(ids, _padId);
        foreach (var (b, offset) in new[] { (c, 0), (r, rows) })
            for (int i = 0; i < rows; i++)
            {
                b.Ids.AsSpan(i * b.SeqLen, b.SeqLen).CopyTo(ids.AsSpan((offset + i) * len));
                b.LossMask.AsSpan(i * b.SeqLen, b.SeqLen).CopyTo(mask.AsSpan((offset + i) * len));
            }
        return new TokenBatch(ids, mask, 2 * rows, len);
    }
}
