using QuantReason.Kernels;

namespace QuantReason.Tests.Kernels;

/// <summary>The kernel thread pool: every index covered exactly once in aligned chunks, errors surface on the caller,
/// and concurrent or nested regions (which fall back to Parallel.For) still cover everything.</summary>
public class KernelThreadsTests
{
    static int[] Cover(int n, int align)
    {
        var hits = new int[n];
        KernelThreads.For(n, align, (s, e) =>
        {
            Assert.True(s % align == 0 && s < e && e <= n, $"chunk [{s}, {e})");
            for (int i = s; i < e; i++) Interlocked.Increment(ref hits[i]);
        }, workPerItem: 1 << 20);
        return hits;
    }

    [Theory]
    [InlineData(1000, 4), InlineData(37, 16), InlineData(100_000, 1), InlineData(5, 1)]
    public void EveryIndexExactlyOnceInAlignedChunks(int n, int align)
    {
        int saved = KernelThreads.Count;
        try
        {
            foreach (int threads in new[] { 1, 2, 3 })
            {
                KernelThreads.Count = threads;
                Assert.All(Cover(n, align), h => Assert.Equal(1, h));
            }
        }
        finally { KernelThreads.Count = saved; }
    }

    [Fact]
    public void ExceptionInAChunkReachesTheCaller()
    {
        var ex = Assert.Throws<InvalidOperationException>(() =>
            KernelThreads.For(1000, 4, (s, e) => { if (s > 0) throw new InvalidOperationException("chunk failed"); }, workPerItem: 1 << 20));
        Assert.Equal("chunk failed", ex.Message);
        Assert.All(Cover(1000, 4), h => Assert.Equal(1, h)); // the pool still works afterwards
    }

    [Fact]
    public void ExceptionInANestedRegionReachesTheCallerUnwrapped()
    {
        // A region started while the pool is busy runs on Parallel.For, which wraps exceptions; the caller must still
        // see the chunk's own exception.
        int saved = KernelThreads.Count;
        KernelThreads.Count = 2;
        try
        {
            var ex = Assert.Throws<InvalidOperationException>(() =>
                KernelThreads.For(8, 1, (s0, e0) =>
                    KernelThreads.For(1000, 4, (s, e) => { if (s > 0) throw new InvalidOperationException("inner failed"); }, workPerItem: 1 << 20),
                    workPerItem: 1 << 20));
            Assert.Equal("inner failed", ex.Message);
        }
        finally { KernelThreads.Count = saved; }
    }

    [Fact]
    public void ConcurrentAndNestedRegionsCoverEverything()
    {
        var outer = new int[64];
        Parallel.For(0, 8, _ =>
        {
            KernelThreads.For(64, 1, (s, e) =>
            {
                for (int i = s; i < e; i++)
                {
                    Assert.All(Cover(300, 4), h => Assert.Equal(1, h));
                    Interlocked.Increment(ref outer[i]);
                }
            }, workPerItem: 1 << 20);
        });
        Assert.All(outer, h => Assert.Equal(8, h));
    }
}
