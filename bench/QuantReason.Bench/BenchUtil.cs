using System.Diagnostics;
using System.Runtime.Intrinsics;
using QuantReason.Kernels;

namespace QuantReason.Bench;

/// <summary>Helpers the quantization benchmarks share: fast seeded fill, best-of timing, memory bandwidth.</summary>
static class BenchUtil
{
    /// <summary>Uniform values in [−1, 1) from xorshift (data content does not affect these kernels' speed).</summary>
    public static void Fill(Span<float> v, ulong seed)
    {
        ulong s = seed * 0x9E3779B97F4A7C15UL + 1;
        for (int i = 0; i < v.Length; i++)
        {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            v[i] = (float)((s >> 40) * (1.0 / (1 << 23)) - 1.0);
        }
    }

    /// <summary>Best wall time in seconds of <paramref name="reps"/> runs after one warm-up.</summary>
    public static double Best(int reps, Action body) => BestWithCpu(reps, body).Wall;

    /// <summary>Best wall time and the process CPU seconds of that same run. On a shared machine the CPU time shows
    /// what the work costs when it actually gets the cores.</summary>
    public static (double Wall, double Cpu) BestWithCpu(int reps, Action body)
    {
        body();
        (double Wall, double Cpu) best = (double.MaxValue, double.MaxValue);
        var proc = Process.GetCurrentProcess();
        for (int r = 0; r < reps; r++)
        {
            proc.Refresh();
            var cpu0 = proc.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            body();
            double wall = sw.Elapsed.TotalSeconds;
            proc.Refresh();
            if (wall < best.Wall) best = (wall, (proc.TotalProcessorTime - cpu0).TotalSeconds);
        }
        return best;
    }

    /// <summary>Read bandwidth in GB/s: a multi-threaded SIMD sum over a 1 GB buffer, best of 3 (wall, and per CPU-second × threads).</summary>
    public static unsafe (double Wall, double PerCpu) ReadBandwidth()
    {
        const long bytes = 1L << 30;
        var buf = WeightMemory.AllocatePinned<float>(bytes / 4); // huge pages, as the weights it is compared with
        Fill(buf.AsSpan(0, 1 << 20), 1);
        for (int i = 1 << 20; i < buf.Length; i += 1 << 20) buf.AsSpan(0, 1 << 20).CopyTo(buf.AsSpan(i, Math.Min(1 << 20, buf.Length - i)));
        float sink = 0;
        var t = BestWithCpu(3, () =>
        {
            fixed (float* p0 = buf)
            {
                float* p = p0;
                var partial = new float[KernelThreads.Count * 16];
                int chunks = buf.Length / 4096;
                KernelThreads.For(chunks, 1, (s, e) =>
                {
                    Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                    for (long i = (long)s * 4096; i < (long)e * 4096; i += 32)
                    {
                        a0 += Vector256.Load(p + i); a1 += Vector256.Load(p + i + 8);
                        a2 += Vector256.Load(p + i + 16); a3 += Vector256.Load(p + i + 24);
                    }
                    lock (partial) sink += Vector256.Sum(a0 + a1 + a2 + a3);
                }, 4096);
            }
        });
        GC.KeepAlive(sink);
        return (bytes / t.Wall / 1e9, bytes / t.Cpu * KernelThreads.Count / 1e9);
    }

    public static bool Json(string[] args) => args.Contains("--json");

    public static string Arg(string[] args, string name, string fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}
