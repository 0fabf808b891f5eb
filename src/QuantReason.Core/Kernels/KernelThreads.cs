using System.Runtime.ExceptionServices;

namespace QuantReason.Kernels;

/// <summary>
/// The one place kernels split work across cores. Results never depend on the thread count: work is split by output
/// rows, and each output element is computed by exactly one thread with a fixed summation order.
/// </summary>
/// <remarks>
/// Decode runs ~130 parallel regions per token, each a few hundred microseconds of weight streaming, so the hand-off
/// matters: a persistent pool whose workers spin briefly between regions starts a region in about a microsecond, where
/// Parallel.For allocates and may have to wake a sleeping pool thread. Chunks are claimed dynamically (several per
/// thread), so a thread that the OS preempts on a shared machine does not hold the whole region up. Regions started
/// while the pool is busy (another caller thread, or a kernel called from inside a region) fall back to Parallel.For.
/// </remarks>
public static class KernelThreads
{
    /// <summary>The most threads a scope may ask for: more than this only oversubscribes the cores, so a larger value is
    /// taken for a typo (`--threads 10000`) and refused rather than spawning thousands of spinning workers.</summary>
    public static int MaxThreads { get; } = Math.Max(64, 4 * Environment.ProcessorCount);

    static readonly int _default = DefaultCount();
    static readonly AsyncLocal<int?> _scoped = new();
    /// <summary>A pool worker runs a region with the count of the caller that started it.</summary>
    [ThreadStatic] static int _regionThreads;

    /// <summary>Threads kernels use in this flow: the innermost <see cref="Use"/> scope's, else $QUANTREASON_THREADS, else
    /// the processor count. Read-only: code that wants another count opens a scope, so concurrent callers (test classes
    /// running in parallel, a server thread beside a trainer) never see each other's setting.</summary>
    public static int Count => _scoped.Value ?? (_regionThreads > 0 ? _regionThreads : _default);

    static int DefaultCount()
    {
        var env = Environment.GetEnvironmentVariable("QUANTREASON_THREADS");
        return int.TryParse(env, out var n) && n > 0 && n <= MaxThreads ? n : Environment.ProcessorCount;
    }

    /// <summary>Sets the thread count for the current flow (and the tasks it starts) until the scope is disposed.</summary>
    /// <exception cref="QuantReasonException">When <paramref name="threads"/> is outside 1..<see cref="MaxThreads"/>.</exception>
    public static Scope Use(int threads)
    {
        if (threads < 1 || threads > MaxThreads)
            throw new QuantReasonException($"thread count {threads} is out of range: use 1 to {MaxThreads} (--threads or $QUANTREASON_THREADS)");
        var previous = _scoped.Value;
        _scoped.Value = threads;
        return new Scope(previous, active: true);
    }

    /// <summary>Restores the count that was in force when the scope opened; <c>default(Scope)</c> is a no-op, for callers
    /// whose count is optional.</summary>
    public readonly struct Scope(int? previous, bool active) : IDisposable
    {
        public void Dispose()
        {
            if (active) _scoped.Value = previous;
        }
    }

    /// <summary>Chunks per thread: enough to rebalance when a thread is preempted, few enough that each chunk still
    /// streams long contiguous runs of weights.</summary>
    const int ChunksPerThread = 4;

    /// <summary>Runs body(start, end) over [0, n) in contiguous chunks, each a multiple of <paramref name="align"/> long
    /// (except the last), on up to <see cref="Count"/> threads; inline when the work is too small to share.</summary>
    public static void For(int n, int align, Action<int, int> body, long workPerItem = 1)
    {
        int threads = Count;
        if (threads <= 1 || n <= align || (long)n * workPerItem < 32_768)
        {
            body(0, n);
            return;
        }
        int blocks = (n + align - 1) / align;
        int chunks = (int)Math.Min(blocks, (long)threads * ChunksPerThread);
        if (Pool.TryRun(n, align, blocks, chunks, threads, body)) return;
        try
        {
            Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = Math.Min(threads, chunks) }, c =>
            {
                var (s, e) = Chunk(n, align, blocks, chunks, c);
                if (s < e) body(s, e);
            });
        }
        // The caller sees a chunk's own exception whichever path ran (the pool rethrows it as is; when the pool is busy
        // with a concurrent region, Parallel.For would wrap it).
        catch (AggregateException ae) when (ae.InnerExceptions.Count >= 1)
        {
            ExceptionDispatchInfo.Capture(ae.InnerExceptions[0]).Throw();
        }
    }

    static (int Start, int End) Chunk(int n, int align, int blocks, int chunks, int c)
    {
        int b0 = (int)((long)blocks * c / chunks), b1 = (int)((long)blocks * (c + 1) / chunks);
        return (b0 * align, Math.Min(n, b1 * align));
    }

    /// <summary>Persistent workers (Count − 1 of them; the caller is the last participant).</summary>
    static class Pool
    {
        sealed class Job
        {
            public Action<int, int> Body = null!;
            public int N, Align, Blocks, Chunks, Workers, Threads;
            public int Next;      // next chunk to claim
            public int Done;      // chunks finished
            public Exception? Error;
        }

        static readonly object Gate = new();
        static readonly List<Thread> Workers = [];
        static Job? _job;
        static int _generation;
        static int _busy;
        [ThreadStatic] static bool _isWorker;

        /// <summary>How long an idle worker spins for the next region before it sleeps (decode's gaps between matmuls
        /// are tens of microseconds; a sleeping worker costs a futex wake-up).</summary>
        static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency / 2000; // 0.5 ms

        public static bool TryRun(int n, int align, int blocks, int chunks, int threads, Action<int, int> body)
        {
            if (_isWorker || Interlocked.CompareExchange(ref _busy, 1, 0) != 0) return false;
            try
            {
                int workers = Math.Min(threads, chunks) - 1;
                EnsureWorkers(workers);
                var job = new Job { Body = body, N = n, Align = align, Blocks = blocks, Chunks = chunks, Workers = workers, Threads = threads };
                Volatile.Write(ref _job, job);
                Interlocked.Increment(ref _generation);
                lock (Gate) Monitor.PulseAll(Gate);
                Work(job);
                var spin = new SpinWait();
                while (Volatile.Read(ref job.Done) < chunks) spin.SpinOnce(sleep1Threshold: -1);
                Volatile.Write(ref _job, null);
                if (job.Error is not null) ExceptionDispatchInfo.Capture(job.Error).Throw();
                return true;
            }
            finally { Volatile.Write(ref _busy, 0); }
        }

        static void Work(Job job)
        {
            int c;
            while ((c = Interlocked.Increment(ref job.Next) - 1) < job.Chunks)
            {
                try
                {
                    if (job.Error is null)
                    {
                        var (s, e) = Chunk(job.N, job.Align, job.Blocks, job.Chunks, c);
                        if (s < e) job.Body(s, e);
                    }
                }
                catch (Exception ex) { Interlocked.CompareExchange(ref job.Error, ex, null); }
                finally { Interlocked.Increment(ref job.Done); }
            }
        }

        static void EnsureWorkers(int count)
        {
            while (Workers.Count < count)
            {
                int index = Workers.Count;
                var t = new Thread(() => Loop(index)) { IsBackground = true, Name = $"QuantReason kernel {index + 1}" };
                Workers.Add(t);
                // Without the creator's execution context: a worker must not keep the thread-count scope that happened
                // to be open when it was started.
                t.UnsafeStart();
            }
        }

        static void Loop(int index)
        {
            _isWorker = true;
            int seen = Volatile.Read(ref _generation);
            while (true)
            {
                int g = Volatile.Read(ref _generation);
                if (g == seen)
                {
                    long until = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
                    while ((g = Volatile.Read(ref _generation)) == seen && System.Diagnostics.Stopwatch.GetTimestamp() < until)
                        Thread.SpinWait(20);
                    if (g == seen)
                        lock (Gate)
                            while ((g = Volatile.Read(ref _generation)) == seen) Monitor.Wait(Gate);
                }
                seen = g;
                var job = Volatile.Read(ref _job);
                if (job is not null && index < job.Workers)
                {
                    _regionThreads = job.Threads;
                    Work(job);
                    _regionThreads = 0;
                }
            }
        }
    }
}
