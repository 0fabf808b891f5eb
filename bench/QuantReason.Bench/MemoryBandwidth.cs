using System.Diagnostics;
using System.Runtime.Intrinsics;
using QuantReason.Kernels;

namespace QuantReason.Bench;

/// <summary>
/// The physical limit a bandwidth-bound kernel is measured against, taken in the same run on the same threads: a SIMD
/// read of a buffer far larger than the caches (what weight streaming does), and the STREAM triad for comparison.
/// </summary>
public static unsafe class MemoryBandwidth
{
    /// <param name="ReadPerCpuGBs">The best read's bytes per CPU-second × threads: the figure with the cores to ourselves.</param>
    /// <param name="HugePageShare">The process's anonymous huge pages over the probe's three buffers, after filling them
    /// (null off Linux): 4 KiB pages cost a two-dimensional page walk per page under the hypervisor, so a probe that got
    /// few huge pages reads slower than the weights it is compared with.</param>
    public sealed record Result(double ReadGBs, double TriadGBs, double ReadPerCpuGBs, double? HugePageShare);

    public static Result Measure(long bytes = 1L << 30, int repeats = 5)
    {
        long n = bytes / sizeof(float);
        // On huge pages like the weights they are compared with (see WeightMemory).
        var a = WeightMemory.AllocatePinned<float>(n);
        var b = WeightMemory.AllocatePinned<float>(n);
        var c = WeightMemory.AllocatePinned<float>(n);
        KernelThreads.For((int)n, 1 << 16, (s, e) => { a.AsSpan(s, e - s).Fill(1f); b.AsSpan(s, e - s).Fill(2f); c.AsSpan(s, e - s).Fill(0f); });
        double? hugePages = AnonHugePages() is { } huge ? Math.Min(1.0, huge / (3.0 * bytes)) : null;
        double bestRead = double.MaxValue, bestTriad = double.MaxValue, bestReadCpu = double.MaxValue;
        float sink = 0;
        var proc = Process.GetCurrentProcess();
        for (int r = 0; r < repeats; r++)
        {
            proc.Refresh();
            var cpu0 = proc.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            sink += ReadSum(a);
            bestRead = Math.Min(bestRead, sw.Elapsed.TotalSeconds);
            proc.Refresh();
            bestReadCpu = Math.Min(bestReadCpu, (proc.TotalProcessorTime - cpu0).TotalSeconds);
            sw.Restart();
            Triad(a, b, c, 3f);
            bestTriad = Math.Min(bestTriad, sw.Elapsed.TotalSeconds);
        }
        if (sink == 42) Console.Write("");
        return new Result(bytes / bestRead / 1e9, 3.0 * bytes / bestTriad / 1e9, bytes / bestReadCpu * KernelThreads.Count / 1e9, hugePages);
    }

    /// <summary>Bytes of this process's memory on transparent huge pages (Linux), else null.</summary>
    public static long? AnonHugePages()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/smaps_rollup"))
                if (line.StartsWith("AnonHugePages:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }

    static float ReadSum(float[] a)
    {
        fixed (float* p = a) return ReadSum(p, a.Length);
    }

    /// <summary>A plain read of each buffer in turn (bytes a multiple of 4): the limit for a kernel that streams exactly
    /// these, as <see cref="QuantReason.Runtime.IStreamedWeight"/> names them.</summary>
    public static void ReadAll(IEnumerable<(nint Address, long Bytes)> buffers)
    {
        foreach (var (address, bytes) in buffers) ReadSum((float*)address, bytes / 4);
    }

    /// <summary>A plain multi-threaded read of n floats at p (the sum keeps the loads alive).</summary>
    public static float ReadSum(float* p0, long n)
    {
        var partial = new float[KernelThreads.Count * 16];
        nint p = (nint)p0;
        int slot = 0, chunk = 1 << 16;
        KernelThreads.For((int)((n + chunk - 1) / chunk), 1, (c0, c1) =>
        {
            float* q = (float*)p;
            long s = (long)c0 * chunk, e = Math.Min(n, (long)c1 * chunk), i = s;
            var s0 = Vector256<float>.Zero; var s1 = s0; var s2 = s0; var s3 = s0;
            for (; i + 32 <= e; i += 32)
            {
                s0 += Vector256.Load(q + i); s1 += Vector256.Load(q + i + 8);
                s2 += Vector256.Load(q + i + 16); s3 += Vector256.Load(q + i + 24);
            }
            float t = Vector256.Sum(s0 + s1 + s2 + s3);
            for (; i < e; i++) t += q[i];
            partial[Interlocked.Increment(ref slot) * 16 % partial.Length] = t;
        }, chunk);
        return partial.Sum();
    }

    static void Triad(float[] a, float[] b, float[] c, float k)
    {
        KernelThreads.For(a.Length, 1 << 16, (s, e) =>
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(b.AsSpan(s, e - s), k, c.AsSpan(s, e - s), a.AsSpan(s, e - s)));
    }
}
