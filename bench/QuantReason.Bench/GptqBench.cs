using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using QuantReason.Kernels;
using QuantReason.Quantization;

namespace QuantReason.Bench;

/// <summary>
/// GPTQ (4-bit, g128, blockSize 128, percDamp 0.01) of one 2048×2048 layer with 128 × 512 calibration tokens, streamed
/// one sample at a time: Hessian accumulation, Cholesky inverse and the column sweep; beside it, in the same invocation,
/// the same GPTQ in PyTorch on the CPU (<c>gptq_reference.py</c>, same shapes, settings and threads) when a python3 with
/// torch is found (<c>$QUANTREASON_PYTHON</c>, <c>python3</c>, <c>/usr/bin/python3</c>). The two alternate for
/// <c>--rounds</c> rounds and each keeps its best, so load on a shared machine hits both alike. Also the Hessian's
/// GFLOP/s against the f32 FMA peak measured in the same run, from wall time and from CPU time.
/// <c>ratio</c> = PyTorch seconds / ours (null, with a note, without torch).
/// Options: --rows N --cols N --samples N --seq-len L --threads T (2) --rounds R (2) --json.
/// </summary>
public static class GptqBench
{
    sealed record Timing(double HessianSeconds, double HessianCpuSeconds, double QuantizeSeconds, double Loss)
    {
        public double Total => HessianSeconds + QuantizeSeconds;
    }

    public static int Run(string[] args)
    {
        int rows = int.Parse(BenchUtil.Arg(args, "--rows", "2048"));
        int cols = int.Parse(BenchUtil.Arg(args, "--cols", "2048"));
        int samples = int.Parse(BenchUtil.Arg(args, "--samples", "128"));
        int seqLen = int.Parse(BenchUtil.Arg(args, "--seq-len", "512"));
        int threads = int.Parse(BenchUtil.Arg(args, "--threads", "2"));
        int rounds = int.Parse(BenchUtil.Arg(args, "--rounds", "2"));
        var opt = new GptqOptions(Bits: 4, GroupSize: 128, BlockSize: 128, PercDamp: 0.01f);
        using var threadScope = KernelThreads.Use(threads);

        var python = TorchPython(out string? torchNote);
        Timing? ours = null;
        JsonObject? torch = null;
        for (int r = 0; r < rounds; r++)
        {
            var t = Ours(rows, cols, samples, seqLen, opt);
            if (ours is null || t.Total < ours.Total) ours = t;
            if (python is null) continue;
            var p = Torch(python, rows, cols, samples, seqLen, opt, threads, out torchNote);
            if (p is not null && (torch is null || (double)p["total_seconds"]! < (double)torch["total_seconds"]!)) torch = p;
        }
        // The peak after the runs: the same threads, the same machine state.
        var proc = Process.GetCurrentProcess();
        var cpu0 = proc.TotalProcessorTime;
        double peak = TrainBench.MeasurePeakGflops(threads, out double peakFlops);
        proc.Refresh();
        double peakPerCpu = peakFlops / (proc.TotalProcessorTime - cpu0).TotalSeconds / 1e9;

        // The upper triangle XᵀX needs n²·T/2 multiply-adds, n²·T flops.
        double hessianFlops = (double)samples * seqLen * cols * cols;
        double gflops = hessianFlops / ours!.HessianSeconds / 1e9, gflopsPerCpu = hessianFlops / ours.HessianCpuSeconds / 1e9;
        double? torchSeconds = torch is null ? null : (double)torch["total_seconds"]!;
        var o = new
        {
            bench = "gptq",
            rows,
            cols,
            tokens = samples * seqLen,
            threads,
            rounds,
            gemm_path = GemmF32F32.Best.ToString(),
            hessian_seconds = ours.HessianSeconds,
            hessian_gflops = gflops,
            peak_gflops = peak,
            hessian_peak_fraction = gflops / peak,
            hessian_gflops_per_cpu_s = gflopsPerCpu,
            peak_gflops_per_cpu_s = peakPerCpu,
            hessian_cpu_peak_fraction = gflopsPerCpu / peakPerCpu,
            quantize_seconds = ours.QuantizeSeconds,
            total_seconds = ours.Total,
            loss = ours.Loss,
            pytorch = torch,
            pytorch_note = torchNote,
            ratio = torchSeconds / ours.Total,
        };
        if (BenchUtil.Json(args)) Console.WriteLine(JsonSerializer.Serialize(o));
        else
        {
            Console.WriteLine($"GPTQ {rows}x{cols}, {o.tokens} tokens, {threads} threads, best of {rounds}: Hessian {ours.HessianSeconds:F2} s " +
                              $"({gflops:F0} GFLOP/s = {gflops / peak:P0} of the {peak:F0} GFLOP/s FMA peak; per CPU-second {gflopsPerCpu / peakPerCpu:P0}), " +
                              $"quantize {ours.QuantizeSeconds:F2} s, total {ours.Total:F2} s");
            Console.WriteLine(torch is null
                ? $"PyTorch baseline skipped: {torchNote}"
                : $"PyTorch {torch["torch"]} CPU: Hessian {(double)torch["hessian_seconds"]!:F2} s, quantize {(double)torch["quantize_seconds"]!:F2} s, " +
                  $"total {torchSeconds:F2} s; ratio (PyTorch / ours) {o.ratio:F2}");
        }
        return 0;
    }

    static Timing Ours(int rows, int cols, int samples, int seqLen, GptqOptions opt)
    {
        var w = new float[(long)rows * cols]; // [rows, cols]
        BenchUtil.Fill(w, 1);
        var batch = new float[(long)seqLen * cols]; // [seqLen, cols], one calibration sample
        var h = new Hessian(cols);
        double wall = 0, cpu = 0;
        for (int s = 0; s < samples; s++)
        {
            BenchUtil.Fill(batch, (ulong)s + 11);
            var c0 = Environment.CpuUsage.TotalTime;
            long t0 = Stopwatch.GetTimestamp();
            h.Add(batch, seqLen, samples: 1);
            wall += Stopwatch.GetElapsedTime(t0).TotalSeconds;
            cpu += (Environment.CpuUsage.TotalTime - c0).TotalSeconds;
        }
        var sw = Stopwatch.StartNew();
        var result = Gptq.Quantize(w, rows, cols, h, opt);
        return new Timing(wall, cpu, sw.Elapsed.TotalSeconds, result.Loss);
    }

    static JsonObject? Torch(string python, int rows, int cols, int samples, int seqLen, GptqOptions opt, int threads, out string? note)
    {
        var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "gptq_reference.py"));
        foreach (var a in new object[] { rows, cols, samples, seqLen, opt.Bits, opt.GroupSize, opt.BlockSize, opt.PercDamp, threads })
            psi.ArgumentList.Add(Convert.ToString(a, System.Globalization.CultureInfo.InvariantCulture)!);
        // torch's own pool and the BLAS under it both get the same threads as ours.
        foreach (var v in new[] { "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS" }) psi.Environment[v] = threads.ToString();
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        note = null;
        if (p.ExitCode == 0) return JsonNode.Parse(stdout)!.AsObject();
        note = $"{python} gptq_reference.py failed ({p.ExitCode}): {stderr.Result.Trim().Split('\n').LastOrDefault()}";
        return null;
    }

    /// <summary>The first python3 that imports torch, or null with the reason.</summary>
    static string? TorchPython(out string? note)
    {
        var candidates = new[] { Environment.GetEnvironmentVariable("QUANTREASON_PYTHON"), "python3", "/usr/bin/python3" }
            .Where(c => !string.IsNullOrEmpty(c)).Distinct();
        foreach (var c in candidates)
        {
            try
            {
                var psi = new ProcessStartInfo(c!, ["-c", "import torch"]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
                using var p = Process.Start(psi)!;
                p.StandardError.ReadToEnd();
                p.WaitForExit();
                if (p.ExitCode == 0) { note = null; return c; }
            }
            catch (System.ComponentModel.Win32Exception) { } // not installed
        }
        note = "no python3 with torch found (set QUANTREASON_PYTHON, or apt-get install python3-torch libopenblas0-pthread)";
        return null;
    }
}
