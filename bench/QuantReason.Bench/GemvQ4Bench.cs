using System.Text.Json;
using QuantReason.Quantization;

namespace QuantReason.Bench;

/// <summary>
/// 4-bit g128 GEMV streaming packed weights, against the machine's read bandwidth measured in the same run.
/// Verb "gemv-q4"; <c>--json</c> prints one object whose <c>ratio</c> is the worse shape's GB/s over the bandwidth
/// (target ≥ 0.7). Calls rotate over enough packed copies (≥ 256 MB together) that every call streams its weights from
/// DRAM rather than from the last-level cache, as a decode over a real model's layers does.
/// </summary>
public static class GemvQ4Bench
{
    public static int Run(string[] args)
    {
        var bw = MemoryBandwidth.Measure();
        var (bandwidth, bandwidthCpu) = (bw.ReadGBs, bw.ReadPerCpuGBs);
        var shapes = new List<object>();
        double worst = double.MaxValue, worstCpu = double.MaxValue;
        foreach (var (outF, inF) in new[] { (2048, 8192), (8192, 2048) })
        {
            var f = QuantFormat.Parse("q4_g128");
            int groups = inF / 128;
            var rng = new Random(outF);
            var codes = new byte[(long)outF * inF];
            rng.NextBytes(codes);
            for (long i = 0; i < codes.Length; i++) codes[i] &= 15;
            var scales = new float[outF * groups];
            var zeros = new float[outF * groups];
            for (int i = 0; i < scales.Length; i++) { scales[i] = 0.01f + (float)rng.NextDouble() * 0.01f; zeros[i] = rng.Next(16); }
            var tensor = new QuantizedTensor(f, outF, inF, codes, scales, zeros, QuantizedTensor.SequentialGIdx(inF, 128));
            long? huge0 = MemoryBandwidth.AnonHugePages();
            var w = QuantizedLinear.Pack(tensor);
            var copies = new QuantizedLinear[(int)Math.Ceiling(256e6 / w.ByteSize)];
            copies[0] = w;
            for (int c = 1; c < copies.Length; c++) copies[c] = QuantizedLinear.Pack(tensor);
            long? huge1 = MemoryBandwidth.AnonHugePages();
            double? weightHuge = huge0 is { } h0 && huge1 is { } h1 ? Math.Min(1.0, (h1 - h0) / (double)(w.ByteSize * copies.Length)) : null;
            var x = new float[inF];
            var y = new float[outF];
            BenchUtil.Fill(x, 7);
            int reps = copies.Length;
            var (wall, cpu) = BenchUtil.BestWithCpu(25, () => { for (int r = 0; r < reps; r++) copies[r].Forward(x, y, 1); });
            double t = wall / reps;
            double gbs = w.ByteSize / t / 1e9, gbsCpu = w.ByteSize * reps / cpu * Kernels.KernelThreads.Count / 1e9;
            worst = Math.Min(worst, gbs);
            worstCpu = Math.Min(worstCpu, gbsCpu);
            shapes.Add(new { @out = outF, @in = inF, bytes = w.ByteSize, seconds = t, gb_per_s = gbs, gb_per_cpu_s_times_threads = gbsCpu, huge_pages = weightHuge });
        }
        var result = new
        {
            bench = "gemv-q4",
            format = "q4_g128",
            threads = Kernels.KernelThreads.Count,
            read_bandwidth_gb_per_s = bandwidth,
            probe_huge_pages = bw.HugePageShare,
            shapes,
            ratio = worst / bandwidth,
            // The same ratio from CPU time: what it would be with the cores to ourselves (a shared machine's wall
            // time punishes the GEMV's per-call thread barrier far more than the long read-sum).
            read_bandwidth_per_cpu_gb_per_s = bandwidthCpu,
            ratio_cpu = worstCpu / bandwidthCpu,
            target = 0.7,
        };
        if (BenchUtil.Json(args)) Console.WriteLine(JsonSerializer.Serialize(result));
        else
        {
            Console.WriteLine($"read bandwidth {bandwidth:F1} GB/s ({result.threads} threads; probe on huge pages {bw.HugePageShare:P0})");
            foreach (dynamic s in shapes) Console.WriteLine($"  q4_g128 {s.@out}x{s.@in}: {s.seconds * 1e6:F0} us, {s.gb_per_s:F1} GB/s (weights on huge pages {s.huge_pages:P0})");
            Console.WriteLine($"ratio {result.ratio:F2} (target {result.target}); from CPU time {result.ratio_cpu:F2}");
        }
        return 0;
    }
}
