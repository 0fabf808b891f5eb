using System.Diagnostics;
using System.Runtime.Intrinsics;
using QuantReason.Kernels;

namespace QuantReason.Bench;

/// <summary>Helpers the benchmarks share: fast seeded fill, best-of timing, arguments.</summary>
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

    public static bool Json(string[] args) => args.Contains("--json");

    public static string Arg(string[] args, string name, string fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}
