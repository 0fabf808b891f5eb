using System.Diagnostics;

namespace QuantReason.Runtime;

public enum FinishReason { Stop, Length }

public sealed record GenerationOptions
{
    public int MaxNewTokens { get; init; } = 256;
    public SamplingOptions Sampling { get; init; } = new();
    public ulong Seed { get; init; }
    /// <summary>One seed per prompt: prompt i then samples from the stream a batch of one would use with that seed, so a
    /// queued request's sample does not depend on which batch or position it ran in. Null: streams of <see cref="Seed"/>.</summary>
    public IReadOnlyList<ulong>? SequenceSeeds { get; init; }
    /// <summary>Token ids that end a sequence (EOS); the id is kept in <see cref="GenerationResult.Tokens"/>.</summary>
    public IReadOnlyList<int> StopTokenIds { get; init; } = [];
    /// <summary>Strings that end a sequence; the text is cut before the first occurrence. Needs a decoder.</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];
    /// <summary>Only ids below this are ever produced: checkpoints often pad the embedding matrix past the tokenizer's
    /// vocabulary, and those rows decode to nothing.</summary>
    public int? VocabLimit { get; init; }
}

public sealed record GenerationResult(int[] Tokens, string? Text, FinishReason FinishReason, int PromptTokens, TimeSpan Elapsed);

/// <summary>
/// Batched generation: all prompts are prefilled in one forward, then every unfinished sequence advances one token per
/// step in a shared forward. Sequences never see each other's padding, so results equal one-at-a-time generation.
/// </summary>
public sealed class Generator(Transformer model, Func<int[], string>? decode = null)
{
    public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<int[]> prompts, GenerationOptions options,
        Action<int, int>? onToken = null, CancellationToken cancel = default)
    {
        options.Sampling.Validate();
        if (options.MaxNewTokens < 0) throw new QuantReasonException($"max new tokens must be ≥ 0, got {options.MaxNewTokens}");
        if (options.StopStrings.Count > 0 && decode is null) throw new InvalidOperationException("stop strings need a tokenizer");
        var sw = Stopwatch.StartNew();
        int n = prompts.Count;
        if (options.SequenceSeeds is { } given && given.Count != n)
            throw new ArgumentException($"{given.Count} sequence seeds for {n} prompts", nameof(options));
        var caches = new KvCache[n];
        var outTokens = new List<int>[n];
        var texts = new string?[n];
        var reasons = new FinishReason?[n];
        var rngs = new Rng[n];
        int maxCtx = model.Config.MaxPositionEmbeddings;
        for (int i = 0; i < n; i++)
        {
            if (prompts[i].Length == 0) throw new QuantReasonException($"prompt {i} is empty");
            if (prompts[i].Length > maxCtx)
                throw new QuantReasonException($"prompt {i} has {prompts[i].Length} tokens, more than the model's context of {maxCtx}");
            caches[i] = model.NewCache(Math.Min(maxCtx, prompts[i].Length + Math.Max(1, options.MaxNewTokens)));
            outTokens[i] = new List<int>();
            rngs[i] = options.SequenceSeeds is { } seeds ? Rng.ForStream(seeds[i], 0) : Rng.ForStream(options.Seed, (ulong)i);
        }

        var active = Enumerable.Range(0, n).ToList();
        var chunks = active.Select(i => new SequenceChunk(caches[i], prompts[i])).ToList();
        int vocab = model.Config.VocabSize;
        while (active.Count > 0 && options.MaxNewTokens > 0)
        {
            cancel.ThrowIfCancellationRequested();
            var logits = model.Forward(chunks, LogitsMode.Last);
            var next = new List<int>(active.Count);
            for (int a = 0; a < active.Count; a++)
            {
                int i = active[a];
                int tok = Sampler.Sample(logits.AsSpan(a * vocab, Math.Min(vocab, options.VocabLimit ?? vocab)), options.Sampling, ref rngs[i]);
                outTokens[i].Add(tok);
                onToken?.Invoke(i, tok);
                if (options.StopTokenIds.Contains(tok)) reasons[i] = FinishReason.Stop;
                else if (options.StopStrings.Count > 0 && HitsStopString(i)) reasons[i] = FinishReason.Stop;
                else if (outTokens[i].Count >= options.MaxNewTokens) reasons[i] = FinishReason.Length;
                else if (caches[i].Length >= maxCtx) reasons[i] = FinishReason.Length;
                if (reasons[i] is null) next.Add(i);
            }
            active = next;
            chunks = active.Select(i => new SequenceChunk(caches[i], [outTokens[i][^1]])).ToList();
        }

        bool HitsStopString(int i)
        {
            var text = decode!(outTokens[i].ToArray());
            int cut = -1;
            foreach (var s in options.StopStrings)
            {
                if (s.Length == 0) continue; // as StopStringFilter: an empty stop would end every sequence before its first token
                int at = text.IndexOf(s, StringComparison.Ordinal);
                if (at >= 0 && (cut < 0 || at < cut)) cut = at;
            }
            if (cut < 0) return false;
            texts[i] = text[..cut];
            return true;
        }

        return Enumerable.Range(0, n).Select(i => new GenerationResult(
            outTokens[i].ToArray(),
            texts[i] ?? decode?.Invoke(outTokens[i].Where(t => !options.StopTokenIds.Contains(t)).ToArray()),
            reasons[i] ?? FinishReason.Length,
            prompts[i].Length,
            sw.Elapsed)).ToList();
    }
}
