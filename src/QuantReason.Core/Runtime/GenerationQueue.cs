namespace QuantReason.Runtime;

/// <summary>
/// Serialises generation on one model for any number of callers: requests wait in a queue, and one worker thread takes
/// the oldest one together with every queued request that shares its settings (up to <see cref="MaxBatch"/>) and runs
/// them as one batch of <see cref="Generator"/>. Each request carries its own seed (<see cref="GenerationOptions.SequenceSeeds"/>),
/// so its output does not depend on the batch it happened to join. A cancelled request returns at once; its batch stops
/// only when every request in it is cancelled.
/// </summary>
public sealed class GenerationQueue : IDisposable
{
    sealed class Pending(int[] prompt, GenerationOptions options, Action<int>? onToken, CancellationToken cancel)
    {
        public readonly int[] Prompt = prompt;
        public readonly GenerationOptions Options = options;
        public readonly Action<int>? OnToken = onToken;
        public readonly CancellationToken Cancel = cancel;
        public readonly TaskCompletionSource<GenerationResult> Done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public CancellationTokenRegistration Registration;
    }

    readonly Generator _generator;
    readonly int _maxContext;
    readonly LinkedList<Pending> _pending = new();
    readonly object _lock = new();
    readonly Thread _worker;
    readonly CancellationTokenSource _shutdown = new();
    bool _disposed;

    /// <summary>Most sequences one forward pass carries.</summary>
    public int MaxBatch { get; }

    /// <summary>How long the worker waits for more requests to join a batch that is not yet full.</summary>
    public TimeSpan GatherWindow { get; }

    /// <summary>Batches run so far and the sequences they carried (throughput reports).</summary>
    public long Batches { get; private set; }
    public long Sequences { get; private set; }

    public GenerationQueue(Generator generator, int maxContext, int maxBatch, TimeSpan? gatherWindow = null)
    {
        if (maxBatch < 1) throw new QuantReasonException($"batch size must be at least 1, got {maxBatch}");
        _generator = generator;
        _maxContext = maxContext;
        MaxBatch = maxBatch;
        GatherWindow = gatherWindow ?? (maxBatch == 1 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(5));
        _worker = new Thread(Work) { IsBackground = true, Name = "generation queue" };
        _worker.Start();
    }

    /// <summary>
    /// Queues one prompt; the options' <see cref="GenerationOptions.Seed"/> is this request's seed. Bad requests (empty,
    /// longer than the context, bad sampling settings) fail here, alone, instead of failing the batch they would join.
    /// <paramref name="onToken"/> sees each generated id as it is produced, on the worker thread.
    /// </summary>
    public Task<GenerationResult> EnqueueAsync(int[] prompt, GenerationOptions options, Action<int>? onToken = null,
        CancellationToken cancel = default)
    {
        options.Sampling.Validate();
        if (options.MaxNewTokens < 0) throw new QuantReasonException($"max new tokens must be ≥ 0, got {options.MaxNewTokens}");
        if (prompt.Length == 0) throw new QuantReasonException("prompt is empty");
        if (prompt.Length > _maxContext)
            throw new QuantReasonException($"prompt has {prompt.Length} tokens, more than the model's context of {_maxContext}");
        var p = new Pending(prompt, options, onToken, cancel);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _pending.AddLast(p);
            Monitor.PulseAll(_lock);
        }
        p.Registration = cancel.Register(() => p.Done.TrySetCanceled(cancel));
        return p.Done.Task;
    }

    /// <summary>Requests that may share a forward: everything but the seed must agree.</summary>
    static bool Compatible(GenerationOptions a, GenerationOptions b) =>
        a.MaxNewTokens == b.MaxNewTokens && a.Sampling == b.Sampling && a.VocabLimit == b.VocabLimit
        && a.StopTokenIds.SequenceEqual(b.StopTokenIds) && a.StopStrings.SequenceEqual(b.StopStrings);

    void Work()
    {
        while (true)
        {
            var batch = new List<Pending>();
            lock (_lock)
            {
                while (_pending.Count == 0 && !_disposed) Monitor.Wait(_lock);
                if (_disposed) break;
                // Concurrent callers arrive a little apart; waiting briefly lets them share this forward.
                var gathering = System.Diagnostics.Stopwatch.StartNew();
                while (_pending.Count < MaxBatch && !_disposed)
                {
                    // Read the clock once: a loaded machine can pass the deadline between a check and the wait.
                    var left = GatherWindow - gathering.Elapsed;
                    if (left <= TimeSpan.Zero) break;
                    Monitor.Wait(_lock, left);
                }
                if (_disposed) break;
                var first = _pending.First!.Value;
                for (var node = _pending.First; node is not null && batch.Count < MaxBatch;)
                {
                    var following = node.Next;
                    if (node.Value.Done.Task.IsCompleted) _pending.Remove(node); // cancelled while queued
                    else if (Compatible(first.Options, node.Value.Options))
                    {
                        batch.Add(node.Value);
                        _pending.Remove(node);
                    }
                    node = following;
                }
            }
            if (batch.Count > 0) Run(batch);
        }
        lock (_lock)
        {
            foreach (var p in _pending) p.Done.TrySetException(new ObjectDisposedException(nameof(GenerationQueue)));
            _pending.Clear();
        }
    }

    void Run(List<Pending> batch)
    {
        // The forward stops early only when nobody is waiting for it any more.
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(_shutdown.Token);
        var live = batch.Count;
        var registrations = batch.Select(p => p.Cancel.Register(() =>
        {
            if (Interlocked.Decrement(ref live) == 0) abandon.Cancel();
        })).ToList();
        try
        {
            var options = batch[0].Options with { SequenceSeeds = batch.Select(p => p.Options.Seed).ToList() };
            var results = _generator.Generate(batch.Select(p => p.Prompt).ToList(), options,
                (i, token) => batch[i].OnToken?.Invoke(token), abandon.Token);
            Batches++;
            Sequences += batch.Count;
            for (int i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(results[i]);
        }
        catch (OperationCanceledException e)
        {
            foreach (var p in batch) p.Done.TrySetCanceled(e.CancellationToken);
        }
        catch (Exception e)
        {
            foreach (var p in batch) p.Done.TrySetException(e);
        }
        finally
        {
            foreach (var r in registrations) r.Dispose();
            foreach (var p in batch) p.Registration.Dispose();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            Monitor.PulseAll(_lock);
        }
        _shutdown.Cancel();
        _worker.Join();
        _shutdown.Dispose();
    }
}
