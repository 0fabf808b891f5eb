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
        foreach (int threads in new[] { 1, 2, 3 })
            using (KernelThreads.Use(threads))
                Assert.All(Cover(n, align), h => Assert.Equal(1, h));
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
        using var scope = KernelThreads.Use(2);
        var ex = Assert.Throws<InvalidOperationException>(() =>
            KernelThreads.For(8, 1, (s0, e0) =>
                KernelThreads.For(1000, 4, (s, e) => { if (s > 0) throw new InvalidOperationException("inner failed"); }, workPerItem: 1 << 20),
                workPerItem: 1 << 20));
        Assert.Equal("inner failed", ex.Message);
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

    [Fact]
    public void ScopesNestAndRestore()
    {
        int outside = KernelThreads.Count;
        using (KernelThreads.Use(3))
        {
            Assert.Equal(3, KernelThreads.Count);
            using (KernelThreads.Use(1)) Assert.Equal(1, KernelThreads.Count);
            Assert.Equal(3, KernelThreads.Count);
            using (default(KernelThreads.Scope)) Assert.Equal(3, KernelThreads.Count); // the no-op scope keeps the outer one
            Assert.Equal(3, KernelThreads.Count);
        }
        Assert.Equal(outside, KernelThreads.Count);
    }

    [Fact]
    public async Task ConcurrentFlowsKeepTheirOwnCount()
    {
        // Two flows hold different scopes at the same time, each checking its own count many times while the other
        // runs regions: with a global setting one would see the other's value.
        using var start = new Barrier(2);
        async Task<bool> Flow(int threads) => await Task.Run(() =>
        {
            using var scope = KernelThreads.Use(threads);
            start.SignalAndWait();
            bool same = true;
            for (int i = 0; i < 200; i++)
            {
                KernelThreads.For(1000, 4, (s, e) => { if (KernelThreads.Count != threads) same = false; }, workPerItem: 1 << 20);
                same &= KernelThreads.Count == threads;
            }
            return same;
        });
        var results = await Task.WhenAll(Flow(1), Flow(3));
        Assert.All(results, Assert.True);
    }

    [Fact]
    public void WorkersDoNotKeepTheScopeTheyWereStartedIn()
    {
        int outside = KernelThreads.Count;
        using (KernelThreads.Use(8)) Cover(1000, 4); // may start pool workers inside a scope
        int seen = -1;
        KernelThreads.For(1000, 4, (s, e) => { if (s > 0) Volatile.Write(ref seen, KernelThreads.Count); }, workPerItem: 1 << 20);
        if (seen >= 0) Assert.Equal(outside, seen);
    }

    public static TheoryData<int> OutOfRange => new() { 0, -2, KernelThreads.MaxThreads + 1 };

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void OutOfRangeCountsAreRefused(int threads)
    {
        var e = Assert.Throws<QuantReasonException>(() => KernelThreads.Use(threads));
        Assert.Contains("--threads", e.Message);
    }
}
