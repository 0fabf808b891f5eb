using System.Diagnostics;
using System.Text.Json;
using QuantReason.Kernels;
using QuantReason.Models;
using QuantReason.Quantization.Model;
using QuantReason.Runtime;
using QuantReason.Tensors;

namespace QuantReason.Bench;

/// <summary>
/// The real <see cref="ModelQuantizer"/> (GPTQ, 4-bit g128 by default) on a Llama-3.2-1B-shaped checkpoint with random
/// bf16 weights (<see cref="DecodeBench.RandomModel"/>) written to a temporary folder: calibration by seeded random token
/// ids (128 × 512 by default) through the runtime's layer-by-layer forward, true-sequential Hessians, the packed
/// checkpoint written and read back. The quantization runs in a child process so that its peak working set is the
/// quantizer's own, not the checkpoint generator's. Verb "gptq-model"; <c>--layers N --samples N --seq-len L --bits B
/// --group-size G --threads T --json</c>; <c>ratio</c> = 8 GB target / peak working set.
/// </summary>
public static class GptqModelBench
{
    public static int Run(string[] args)
    {
        if (args.Length > 0 && args[0] == "--child") return Child(args[1..]);
        int layers = int.Parse(BenchUtil.Arg(args, "--layers", "16"));
        int threads = int.Parse(BenchUtil.Arg(args, "--threads", KernelThreads.Count.ToString()));
        using var threadScope = KernelThreads.Use(threads);
        var dir = Directory.CreateTempSubdirectory("qr-gptq-model-").FullName;
        try
        {
            var sw = Stopwatch.StartNew();
            WriteRandomCheckpoint(Path.Combine(dir, "model"), new DecodeBench.Options(Layers: layers, Threads: threads));
            double writeSeconds = sw.Elapsed.TotalSeconds;
            // Hand the generator's memory back to the OS while the child runs (an idle 2–6 GB heap would crowd the machine).
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);

            // The child is this program again, run as `gptq-model --child MODEL OUT [options]`.
            var self = Environment.ProcessPath!;
            var psi = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
            if (Path.GetFileNameWithoutExtension(self) == "dotnet") psi.ArgumentList.Add(typeof(GptqModelBench).Assembly.Location);
            foreach (var a in new[] { "gptq-model", "--child", Path.Combine(dir, "model"), Path.Combine(dir, "out") }.Concat(args.Where(a => a != "--json")))
                psi.ArgumentList.Add(a);
            using var child = Process.Start(psi)!;
            var output = child.StandardOutput.ReadToEnd();
            child.WaitForExit();
            if (child.ExitCode != 0) { Console.Error.WriteLine(output); return child.ExitCode; }
            var result = JsonSerializer.Deserialize<JsonElement>(output);
            if (BenchUtil.Json(args)) Console.WriteLine(output.Trim());
            else
            {
                Console.WriteLine($"random bf16 checkpoint ({layers} layers) written in {writeSeconds:F1} s");
                Console.WriteLine($"GPTQ {result.GetProperty("bits")}-bit g{result.GetProperty("group_size")} over {layers} layers, " +
                                  $"{result.GetProperty("calibration_tokens")} calibration tokens: {result.GetProperty("total_seconds").GetDouble():F1} s " +
                                  $"({result.GetProperty("cpu_seconds").GetDouble():F1} CPU s), {result.GetProperty("seconds_per_layer").GetDouble():F1} s per layer, " +
                                  $"peak working set {result.GetProperty("peak_working_set_gb").GetDouble():F2} GB (target 8 GB, ratio {result.GetProperty("ratio").GetDouble():F2})");
            }
            return 0;
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    static int Child(string[] args)
    {
        string model = args[0], output = args[1];
        int samples = int.Parse(BenchUtil.Arg(args, "--samples", "128"));
        int seqLen = int.Parse(BenchUtil.Arg(args, "--seq-len", "512"));
        int bits = int.Parse(BenchUtil.Arg(args, "--bits", "4"));
        int group = int.Parse(BenchUtil.Arg(args, "--group-size", "128"));
        using var threadScope = KernelThreads.Use(int.Parse(BenchUtil.Arg(args, "--threads", KernelThreads.Count.ToString())));
        var cfg = ModelConfig.Load(model);
        var rng = new Random(1234);
        var calibration = new CalibrationSet(
            Enumerable.Range(0, samples).Select(_ => Enumerable.Range(0, seqLen).Select(_ => rng.Next(cfg.VocabSize)).ToArray()).ToList(),
            seqLen, "random token ids");
        var options = QuantizeOptions.Create(QuantMethod.Gptq, bits, group, calibration: new CalibrationOptions("random", samples, seqLen));
        var proc = Process.GetCurrentProcess();
        var sw = Stopwatch.StartNew();
        var report = ModelQuantizer.Run(model, output, options, calibration: calibration);
        double seconds = sw.Elapsed.TotalSeconds;
        proc.Refresh();
        long peak = proc.PeakWorkingSet64;
        var o = new
        {
            bench = "gptq-model",
            shape = "llama-3.2-1b",
            layers = cfg.NumLayers,
            linears = cfg.NumLayers * cfg.Architecture.Wiring.Projections.Count,
            calibration_tokens = (long)samples * seqLen,
            bits,
            group_size = group,
            threads = KernelThreads.Count,
            total_seconds = Math.Round(seconds, 2),
            cpu_seconds = Math.Round(proc.TotalProcessorTime.TotalSeconds, 2),
            seconds_per_layer = Math.Round(report.Layers.Average(l => l.Seconds), 2),
            // Of the layers' time, the share in calibration forwards (with Hessian accumulation); the rest is GPTQ and I/O.
            calibration_share = Math.Round(report.Layers.Sum(l => l.CalibrationSeconds) / report.Layers.Sum(l => l.Seconds), 3),
            bytes_on_disk = report.BytesOnDisk,
            peak_working_set_gb = Math.Round(peak / 1e9, 3),
            target_gb = 8.0,
            ratio = Math.Round(8.0 / (peak / 1e9), 3),
            mean_relative_error = Math.Round(report.Layers.SelectMany(l => l.Linears).Average(l => l.RelativeError), 5),
        };
        Console.WriteLine(JsonSerializer.Serialize(o));
        return 0;
    }

    /// <summary>config.json and model.safetensors of <see cref="DecodeBench.RandomModel"/>, bf16 as a real checkpoint stores it.</summary>
    static void WriteRandomCheckpoint(string dir, DecodeBench.Options o)
    {
        var model = DecodeBench.RandomModel(o);
        var w = model.Weights;
        var cfg = w.Config;
        var tensors = new List<TensorData>
        {
            TensorData.BF16(WeightNames.Embed, w.Embedding.ToF32(), cfg.VocabSize, cfg.HiddenSize),
            TensorData.BF16(WeightNames.FinalNorm, w.FinalNorm, cfg.HiddenSize),
        };
        if (!cfg.TieWordEmbeddings) tensors.Add(TensorData.BF16(WeightNames.LmHead, w.LmHead.ToF32(), cfg.VocabSize, cfg.HiddenSize));
        for (int l = 0; l < cfg.NumLayers; l++)
        {
            var L = w.Layers[l];
            tensors.Add(TensorData.BF16(WeightNames.Layer(l, "input_layernorm.weight"), L.InputNorm, cfg.HiddenSize));
            tensors.Add(TensorData.BF16(WeightNames.Layer(l, "post_attention_layernorm.weight"), L.PostAttentionNorm, cfg.HiddenSize));
            foreach (var p in cfg.Architecture.Wiring.Projections)
                tensors.Add(TensorData.BF16(WeightNames.Layer(l, p.Name + ".weight"), L[p.Id].ToF32(), L[p.Id].OutFeatures, L[p.Id].InFeatures));
        }
        SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"), tensors);
        var config = new Dictionary<string, object?>
        {
            ["architectures"] = new[] { "LlamaForCausalLM" }, ["model_type"] = "llama", ["hidden_size"] = cfg.HiddenSize,
            ["intermediate_size"] = cfg.IntermediateSize, ["num_hidden_layers"] = cfg.NumLayers, ["num_attention_heads"] = cfg.NumHeads,
            ["num_key_value_heads"] = cfg.NumKvHeads, ["head_dim"] = cfg.HeadDim, ["vocab_size"] = cfg.VocabSize,
            ["rms_norm_eps"] = cfg.RmsNormEps, ["max_position_embeddings"] = cfg.MaxPositionEmbeddings,
            ["tie_word_embeddings"] = cfg.TieWordEmbeddings, ["torch_dtype"] = "bfloat16",
            ["rope_theta"] = cfg.Rope.Theta,
            ["rope_scaling"] = new Dictionary<string, object>
            {
                ["rope_type"] = "llama3", ["factor"] = cfg.Rope.Factor, ["low_freq_factor"] = cfg.Rope.LowFreqFactor,
                ["high_freq_factor"] = cfg.Rope.HighFreqFactor, ["original_max_position_embeddings"] = cfg.Rope.OriginalMaxPositionEmbeddings,
            },
        };
        File.WriteAllText(Path.Combine(dir, "config.json"), JsonSerializer.Serialize(config));
    }
}
