namespace QuantReason.Training;

/// <summary>Batches of token sequences for the trainer; deterministic given its seed and <see cref="Position"/>.</summary>
public interface ISequenceSource
{
    /// <summary>The next <paramref name="rows"/> sequences, padded into one batch.</summary>
    TokenBatch Next(int rows);

    /// <summary>Sequences handed out so far; setting it resumes exactly there.</summary>
    long Position { get; set; }
}

/// <summary>
/// An in-memory corpus of token sequences (e.g. tokenized StepMath problems + solutions), reshuffled each epoch with a
/// seeded permutation. A batch is padded to its longest row (at most MaxLength, longer rows are truncated); an optional
/// per-sequence mask chooses which tokens are targets (e.g. only the solution), padding is never a target.
/// </summary>
public sealed class TokenSequenceSource : ISequenceSource
{
    readonly IReadOnlyList<int[]> _seqs;
    readonly IReadOnlyList<int[]>? _masks;
    readonly int _seed, _padId, _maxLength;
    int[] _order = [];
    int _epoch = -1;

    public long Position { get; set; }

    public TokenSequenceSource(IReadOnlyList<int[]> sequences, int padId, int maxLength, int seed, IReadOnlyList<int[]>? masks = null)
    {
        if (sequences.Count == 0) throw new QuantReasonException("the training corpus is empty", "sequences");
        if (maxLength < 2) throw new QuantReasonException($"max length must be at least 2, got {maxLength}", "sequences");
        if (masks is not null && masks.Count != sequences.Count)
            throw new QuantReasonException($"{masks.Count} masks for {sequences.Count} sequences", "sequences");
        for (int i = 0; i < sequences.Count; i++)
        {
            if (sequences[i].Length == 0) throw new QuantReasonException("empty sequence", $"sequence {i}");
            if (masks is not null && masks[i].Length != sequences[i].Length)
                throw new QuantReasonException($"mask length {masks[i].Length} differs from sequence length {sequences[i].Length}", $"sequence {i}");
        }
        _seqs = sequences; _masks = masks; _padId = padId; _maxLength = maxLength; _seed = seed;
    }

    int[] Order(int epoch)
    {
        if (epoch != _epoch)
        {
            var rng = new Random(unchecked(_seed * 1_000_003 + epoch));
            _order = Enumerable.Range(0, _seqs.Count).ToArray();
            rng.Shuffle(_order);
            _epoch = epoch;
        }
        return _order;
    }

    public TokenBatch Next(int rows)
    {
        var picked = new int[rows];
        for (int r = 0; r < rows; r++, Position++)
            picked[r] = Order((int)(Position / _seqs.Count))[(int)(Position % _seqs.Count)];
        int len = Math.Min(_maxLength, picked.Max(i => _seqs[i].Length));
        var ids = new int[rows * len];
        var mask = new int[rows * len];
        Array.Fill(ids, _padId);
        for (int r = 0; r < rows; r++)
        {
            var s = _seqs[picked[r]];
            int n = Math.Min(len, s.Length);
            s.AsSpan(0, n).CopyTo(ids.AsSpan(r * len));
            for (int j = 0; j < n; j++) mask[r * len + j] = _masks is null ? 1 : (_masks[picked[r]][j] != 0 ? 1 : 0);
        }
        return new TokenBatch(ids, mask, rows, len);
    }
}
