namespace QuantReason.Tokenizers;

/// <summary>
/// BPE merge priorities keyed by the (left, right) token-id pair: lower rank merges first, ties go to the leftmost
/// pair. Built either from a ranked merges list (GPT-2 style, HF tokenizer.json, GGUF <c>tokenizer.ggml.merges</c>)
/// or from SentencePiece scores, where the pair's priority is the score of the token it forms (higher first).
/// </summary>
public sealed class MergeTable
{
    readonly Dictionary<long, (int Rank, int Merged)> _pairs;

    MergeTable(Dictionary<long, (int, int)> pairs) => _pairs = pairs;

    public int Count => _pairs.Count;

    static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    public bool TryGet(int left, int right, out int rank, out int merged)
    {
        if (_pairs.TryGetValue(Key(left, right), out var v)) { (rank, merged) = v; return true; }
        rank = merged = 0;
        return false;
    }

    /// <summary>Merges in rank order; entries whose parts or result are not in the vocabulary never fire and are dropped.</summary>
    public static MergeTable FromRankedMerges(IReadOnlyList<(string Left, string Right)> merges, Vocabulary vocab)
    {
        var pairs = new Dictionary<long, (int, int)>(merges.Count);
        for (var rank = 0; rank < merges.Count; rank++)
        {
            var (l, r) = merges[rank];
            if (vocab.TryFind(l, out var li) && vocab.TryFind(r, out var ri) && vocab.TryFind(l + r, out var m))
                pairs.TryAdd(Key(li, ri), (rank, m)); // a repeated pair keeps its first (best) rank
        }
        return new MergeTable(pairs);
    }

    /// <summary>
    /// SentencePiece BPE: every normal token that splits into two vocabulary tokens is a merge target; its priority is
    /// its score (higher first). Equal scores share a rank so the leftmost pair wins, as in sentencepiece and llama.cpp.
    /// </summary>
    public static MergeTable FromScores(Vocabulary vocab, float[] scores)
    {
        var distinct = scores.Distinct().OrderByDescending(s => s).Select((s, i) => (s, i)).ToDictionary(x => x.s, x => x.i);
        var pairs = new Dictionary<long, (int, int)>();
        for (var id = 0; id < vocab.Count; id++)
        {
            if (vocab.TypeOf(id) != TokenType.Normal) continue;
            var text = vocab[id];
            var rank = distinct[scores[id]];
            for (var split = 1; split < text.Length; split++)
            {
                if (char.IsLowSurrogate(text[split])) continue;
                if (vocab.TryFind(text.AsSpan(0, split), out var l) && vocab.TryFind(text.AsSpan(split), out var r))
                    pairs.TryAdd(Key(l, r), (rank, id));
            }
        }
        return new MergeTable(pairs);
    }

    /// <summary>Parses "left right" merge lines (GGUF and older tokenizer.json): the split is the first space after position 0.</summary>
    public static (string, string) ParseMergeLine(string line, string where)
    {
        var pos = line.IndexOf(' ', 1);
        if (pos < 0) throw new QuantReasonException($"merge '{line}' has no space separating its two parts", where);
        return (line[..pos], line[(pos + 1)..]);
    }
}
