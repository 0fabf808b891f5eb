namespace QuantReason.Training.Ops;

/// <summary>Token embedding lookup: x[t,:] = table[ids[t],:]. The backward scatters rows back, so repeated ids add up.</summary>
public static class Embedding
{
    /// <param name="table">[vocab, hidden]</param>
    /// <param name="x">[tokens, hidden]</param>
    public static void Forward(ReadOnlySpan<int> ids, ReadOnlySpan<float> table, int hidden, Span<float> x)
    {
        int vocab = table.Length / hidden;
        for (int t = 0; t < ids.Length; t++)
        {
            int id = ids[t];
            if ((uint)id >= (uint)vocab) throw new QuantReasonException($"token id {id} is outside the vocabulary of {vocab}", $"token {t}");
            table.Slice(id * hidden, hidden).CopyTo(x.Slice(t * hidden, hidden));
        }
    }

    /// <summary>dTable[ids[t],:] += dx[t,:], in token order (deterministic).</summary>
    public static void Backward(ReadOnlySpan<int> ids, ReadOnlySpan<float> dx, int hidden, Span<float> dTable)
    {
        for (int t = 0; t < ids.Length; t++)
        {
            var row = dTable.Slice(ids[t] * hidden, hidden);
            System.Numerics.Tensors.TensorPrimitives.Add(row, dx.Slice(t * hidden, hidden), row);
        }
    }
}
