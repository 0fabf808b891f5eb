namespace QuantReason.Tokenizers;

/// <summary>
/// The BPE merge loop over one word: symbols in a linked list, candidate pairs in a priority queue ordered by
/// (rank, left position), stale entries discarded on pop. O(n log n) in the word length; one instance per call
/// site (not thread-safe), reused across words to avoid allocation.
/// </summary>
internal sealed class BpeMerger
{
    readonly PriorityQueue<(int Left, int Right, int LeftId, int RightId, int Merged), long> _queue = new();
    int[] _next = new int[64];
    int[] _prev = new int[64];

    const int Dead = -2;

    /// <summary>
    /// Merges <paramref name="ids"/> in place (-1 marks an unknown symbol that never merges) and writes the indices of
    /// the surviving symbols, in order, to <paramref name="survivors"/>.
    /// </summary>
    public void Merge(List<int> ids, MergeTable merges, List<int> survivors)
    {
        survivors.Clear();
        var n = ids.Count;
        if (n == 0) return;
        if (_next.Length < n)
        {
            _next = new int[Math.Max(n, _next.Length * 2)];
            _prev = new int[_next.Length];
        }
        for (var i = 0; i < n; i++) { _prev[i] = i - 1; _next[i] = i + 1 < n ? i + 1 : -1; }
        _queue.Clear();
        for (var i = 0; i + 1 < n; i++) TryPush(ids, merges, i, i + 1);

        while (_queue.TryDequeue(out var e, out _))
        {
            if (ids[e.Left] != e.LeftId || ids[e.Right] != e.RightId || _next[e.Left] != e.Right) continue; // stale
            ids[e.Left] = e.Merged;
            ids[e.Right] = Dead;
            var after = _next[e.Right];
            _next[e.Left] = after;
            if (after >= 0) _prev[after] = e.Left;
            if (_prev[e.Left] >= 0) TryPush(ids, merges, _prev[e.Left], e.Left);
            if (after >= 0) TryPush(ids, merges, e.Left, after);
        }

        for (var i = 0; i >= 0; i = _next[i]) survivors.Add(i);
    }

    void TryPush(List<int> ids, MergeTable merges, int left, int right)
    {
        int l = ids[left], r = ids[right];
        if (l < 0 || r < 0) return;
        if (merges.TryGet(l, r, out var rank, out var merged))
            _queue.Enqueue((left, right, l, r, merged), ((long)rank << 32) | (uint)left);
    }
}
