namespace QuantReason.Runtime;

/// <summary>Decoding settings; temperature 0 means greedy.</summary>
public sealed record SamplingOptions(float Temperature = 0f, int TopK = 0, float TopP = 1f)
{
    public void Validate()
    {
        if (Temperature < 0 || float.IsNaN(Temperature)) throw new QuantReasonException($"temperature must be ≥ 0, got {Temperature}");
        if (TopK < 0) throw new QuantReasonException($"top-k must be ≥ 0, got {TopK}");
        if (!(TopP > 0 && TopP <= 1)) throw new QuantReasonException($"top-p must be in (0, 1], got {TopP}");
    }
}

/// <summary>Picks the next token from a row of logits: greedy, or temperature with top-k then top-p filtering.</summary>
public static class Sampler
{
    /// <summary>Index of the largest logit; the first on ties, as torch.argmax.</summary>
    public static int Argmax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        float bv = logits[0];
        for (int i = 1; i < logits.Length; i++) if (logits[i] > bv) { bv = logits[i]; best = i; }
        return best;
    }

    public static int Sample(ReadOnlySpan<float> logits, SamplingOptions o, ref Rng rng)
    {
        if (o.Temperature == 0) return Argmax(logits);
        int n = logits.Length;
        var idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        var l = logits.ToArray();
        // Descending by logit, ties by id, so the candidate order (and the sample) is fully determined by the seed.
        Array.Sort(idx, (a, b) => l[a] != l[b] ? l[b].CompareTo(l[a]) : a.CompareTo(b));
        int keep = o.TopK > 0 ? Math.Min(o.TopK, n) : n;
        var p = new double[keep];
        double max = l[idx[0]] / o.Temperature, sum = 0;
        for (int i = 0; i < keep; i++) { p[i] = Math.Exp(l[idx[i]] / o.Temperature - max); sum += p[i]; }
        for (int i = 0; i < keep; i++) p[i] /= sum;
        if (o.TopP < 1)
        {
            double cum = 0;
            int cut = keep;
            for (int i = 0; i < keep; i++) { cum += p[i]; if (cum >= o.TopP) { cut = i + 1; break; } }
            keep = cut;
            double s2 = 0;
            for (int i = 0; i < keep; i++) s2 += p[i];
            for (int i = 0; i < keep; i++) p[i] /= s2;
        }
        double u = rng.NextDouble(), c = 0;
        for (int i = 0; i < keep; i++) { c += p[i]; if (u < c) return idx[i]; }
        return idx[keep - 1];
    }
}
