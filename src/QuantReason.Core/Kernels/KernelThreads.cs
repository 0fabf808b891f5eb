namespace QuantReason.Kernels;

/// <summary>
/// The one place kernels split work across cores. Results never depend on the thread count: work is split by output
/// rows, and each output element is computed by exactly one thread with a fixed summation order.
/// </summary>
public static class KernelThreads
{
    static int _count = Environment.ProcessorCount;

    /// <summary>Threads kernels use; defaults to the processor count, settable with QUANTREASON_THREADS or the CLI's --threads.</summary>
    public static int Count
    {
        get => _count;
        set => _count = Math.Max(1, value);
    }

    static KernelThreads()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("QUANTREASON_THREADS"), out var n) && n > 0) _count = n;
    }

    /// <summary>Runs body(start, end) over [0, n) in at most <see cref="Count"/> contiguous chunks, each a multiple of
    /// <paramref name="align"/> long (except the last), inline when the work is too small to share.</summary>
    public static void For(int n, int align, Action<int, int> body, long workPerItem = 1)
    {
        int threads = Count;
        if (threads <= 1 || n <= align || (long)n * workPerItem < 32_768)
        {
            body(0, n);
            return;
        }
        int blocks = (n + align - 1) / align;
        int chunks = Math.Min(threads, blocks);
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = chunks }, c =>
        {
            int b0 = (int)((long)blocks * c / chunks), b1 = (int)((long)blocks * (c + 1) / chunks);
            int s = b0 * align, e = Math.Min(n, b1 * align);
            if (s < e) body(s, e);
        });
    }
}
