using System.Runtime.InteropServices;
using System.Text.Json;
using QuantReason.Kernels;
using QuantReason.Weights;

namespace QuantReason.Bench;

/// <summary>
/// Multi-token products of one 1B-shaped layer on one thread, by format and path, timed in this thread's CPU time (the
/// figure a loaded machine does not distort): bf16, the f32 paths the quantized formats had before
/// (<see cref="GemmQxF32"/> from 32 tokens, a GEMV per token below), and <see cref="GemmQxI8"/> with 16-bit and int8
/// activations on its best path (and 16-bit on each other integer path the CPU has: the 512-bit path against VNNI). Verb "gemm-q"; <c>--json</c>: <c>ratio</c> = the slower of q4 and int8 (16-bit activations, the
/// weight-only path) over bf16 at 64 tokens on the up projection.
/// </summary>
public static unsafe partial class GemmQBench
{
    [LibraryImport("libc", EntryPoint = "clock_gettime")] private static partial int ClockGetTime(int clock, long* ts);

    /// <summary>CPU seconds of the calling thread (CLOCK_THREAD_CPUTIME_ID).</summary>
    static double ThreadSeconds()
    {
        long* ts = stackalloc long[2];
        ClockGetTime(3, ts);
        return ts[0] + ts[1] * 1e-9;
    }

    /// <summary>Best thread-CPU seconds per call over rounds of at least 0.2 s each.</summary>
    static double Time(Action run)
    {
        run();
        int calls = 1;
        double t0 = ThreadSeconds();
        run();
        double one = Math.Max(ThreadSeconds() - t0, 1e-6);
        calls = (int)Math.Clamp(0.2 / one, 1, 1000);
        double best = double.MaxValue;
        for (int r = 0; r < 3; r++)
        {
            double s = ThreadSeconds();
            for (int c = 0; c < calls; c++) run();
            best = Math.Min(best, (ThreadSeconds() - s) / calls);
        }
        return best;
    }

    static bool Supported(GemmQxI8.Path p) => p switch
    {
        GemmQxI8.Path.Avx512 => System.Runtime.Intrinsics.X86.Avx512BW.IsSupported,
        GemmQxI8.Path.AvxVnni => System.Runtime.Intrinsics.X86.AvxVnni.IsSupported,
        GemmQxI8.Path.Avx2 => System.Runtime.Intrinsics.X86.Avx2.IsSupported,
        _ => true,
    };

    public static int Run(string[] args)
    {
        using var one = KernelThreads.Use(1);
        int[] tokenCounts = BenchUtil.Arg(args, "--tokens", "1,2,4,16,64").Split(',').Select(int.Parse).ToArray();
        var rows = new List<object>();
        double ratio = double.MaxValue;
        foreach (var (outF, inF) in new[] { (8192, 2048), (2048, 8192) })
        {
            var wf = new float[(long)outF * inF];
            BenchUtil.Fill(wf, 3);
            for (int i = 0; i < wf.Length; i++) wf[i] *= 0.03f;
            var bf16 = DenseLinear.FromBF16(wf.Select(v => (ushort)(BitConverter.SingleToInt32Bits(v) >> 16)).ToArray(), outF, inF);
            var q = new[] { "q4_g128", "int8" }.ToDictionary(n => n, n => QuantizedLinear.Pack(Quantization.Rtn.Quantize(wf, outF, inF, QuantFormat.Parse(n))));
            foreach (int tokens in tokenCounts)
            {
                var x = new float[tokens * inF];
                BenchUtil.Fill(x, 5);
                var y = new float[tokens * outF];
                double macs = (double)tokens * inF * outF;
                double tb = Time(() => bf16.Forward(x, y, tokens));
                var entry = new Dictionary<string, object> { ["out"] = outF, ["in"] = inF, ["tokens"] = tokens, ["bf16_gmacs"] = Math.Round(macs / tb / 1e9, 2) };
                foreach (var (name, w) in q)
                {
                    var r = w.Rows;
                    double told = Time(() =>
                    {
                        if (tokens >= QuantizedLinear.GemmMinTokens) GemmQxF32.Run(r, x, y, tokens);
                        else
                            for (int t = 0; t < tokens; t++)
                            {
                                if (GemvQ4I16.Supports(r)) GemvQ4I16.Run(r, x.AsSpan(t * inF, inF), y.AsSpan(t * outF, outF));
                                else GemvQxF32.Run(r, x.AsSpan(t * inF, inF), y.AsSpan(t * outF, outF));
                            }
                    });
                    double t16 = Time(() => GemmQxI8.Run(r, w.Activations(x, tokens, 2), y));
                    double t8 = Time(() => GemmQxI8.Run(r, w.Activations(x, tokens, 1), y));
                    entry[$"{name}_f32_paths_gmacs"] = Math.Round(macs / told / 1e9, 2);
                    entry[$"{name}_i16_gmacs"] = Math.Round(macs / t16 / 1e9, 2);
                    entry[$"{name}_i8_gmacs"] = Math.Round(macs / t8 / 1e9, 2);
                    entry[$"{name}_i16_vs_bf16"] = Math.Round(tb / t16, 3);
                    entry[$"{name}_i8_vs_bf16"] = Math.Round(tb / t8, 3);
                    if (tokens == 64 && outF == 8192) ratio = Math.Min(ratio, tb / t16);
                    // the 16-bit product through each integer path this CPU has besides the best one
                    foreach (var path in new[] { GemmQxI8.Path.AvxVnni, GemmQxI8.Path.Avx2 }.Where(p => p != GemmQxI8.Best && Supported(p)))
                    {
                        var a16 = w.Activations(x, tokens, 2);
                        entry[$"{name}_i16_{path.ToString().ToLowerInvariant()}_gmacs"] = Math.Round(macs / Time(() => GemmQxI8.Run(r, a16, y, path)) / 1e9, 2);
                    }
                }
                rows.Add(entry);
                if (!BenchUtil.Json(args)) Console.WriteLine(JsonSerializer.Serialize(entry));
            }
        }
        var result = new { benchmark = "gemm-q", threads = 1, timing = "thread CPU time", shapes = rows, ratio = ratio == double.MaxValue ? (double?)null : Math.Round(ratio, 3) };
        if (BenchUtil.Json(args)) Console.WriteLine(JsonSerializer.Serialize(result));
        else Console.WriteLine($"ratio (64 tokens, up projection, slower of q4/int8 with 16-bit activations over bf16): {result.ratio}");
        return 0;
    }
}
