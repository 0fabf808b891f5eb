using System.Diagnostics;
using System.Text.Json;
using QuantReason.Quantization;
using QuantReason.Tensors;

namespace QuantReason.Bench;

/// <summary>
/// GPTQ over a Llama-3.2-1B-shaped stack of random bf16 linears (hidden 2048, intermediate 8192, 32 q / 8 kv heads of 64),
/// layer by layer: each layer's weights are made (bf16-rounded), its calibration activations streamed into one Hessian
/// per shared input (q/k/v, o, gate/up, down), every linear quantized, then everything dropped before the next layer —
/// the memory pattern of layer-wise streaming. Random activations stand in for the runtime's forward pass, so this
/// measures the quantizer's time and peak memory, not accuracy. Verb "gptq-model"; <c>--layers N --samples N
/// --seq-len L --bits B --group-size G --json</c>; <c>ratio</c> = 8 GB target / peak working set.
/// </summary>
public static class GptqModelBench
{
    public static int Run(string[] args)
    {
        int layers = int.Parse(BenchUtil.Arg(args, "--layers", "16"));
        int samples = int.Parse(BenchUtil.Arg(args, "--samples", "128"));
        int seqLen = int.Parse(BenchUtil.Arg(args, "--seq-len", "512"));
        int bits = int.Parse(BenchUtil.Arg(args, "--bits", "4"));
        int group = int.Parse(BenchUtil.Arg(args, "--group-size", "128"));
        const int hidden = 2048, inter = 8192, kv = 512;
        // (input group, its linears (name, out), in_features)
        var groups = new (string Input, (string Name, int Out)[] Linears, int In)[]
        {
            ("attn_in", [("self_attn.q_proj", hidden), ("self_attn.k_proj", kv), ("self_attn.v_proj", kv)], hidden),
            ("attn_out", [("self_attn.o_proj", hidden)], hidden),
            ("mlp_in", [("mlp.gate_proj", inter), ("mlp.up_proj", inter)], hidden),
            ("mlp_out", [("mlp.down_proj", hidden)], inter),
        };
        var opt = new GptqOptions(bits, group);
        var sw = Stopwatch.StartNew();
        long linears = 0;
        double loss = 0;
        for (int l = 0; l < layers; l++)
            foreach (var (input, lins, inF) in groups)
            {
                var h = new Hessian(inF);
                var batch = new float[(long)seqLen * inF]; // [seqLen, in] one calibration sample
                for (int s = 0; s < samples; s++)
                {
                    BenchUtil.Fill(batch, (ulong)(l * 1000 + s));
                    h.Add(batch, seqLen, samples: 1, layer: $"model.layers.{l}.{input}");
                }
                foreach (var (name, outF) in lins)
                {
                    var w = new float[(long)outF * inF];
                    BenchUtil.Fill(w, (ulong)(l * 7919 + outF));
                    for (long i = 0; i < w.Length; i++) w[i] = DTypes.BF16ToF32(DTypes.F32ToBF16(w[i] * 0.02f));
                    var r = Gptq.Quantize(w, outF, inF, h, opt, $"model.layers.{l}.{name}");
                    loss += r.Loss;
                    linears++;
                }
            }
        double seconds = sw.Elapsed.TotalSeconds;
        long peak = Process.GetCurrentProcess().PeakWorkingSet64;
        var o = new
        {
            bench = "gptq-model",
            shape = "llama-3.2-1b",
            layers,
            linears,
            tokens = samples * seqLen,
            bits,
            group_size = group,
            threads = Kernels.KernelThreads.Count,
            total_seconds = seconds,
            peak_working_set_gb = peak / 1e9,
            target_gb = 8.0,
            ratio = 8.0 / (peak / 1e9),
            loss,
        };
        if (BenchUtil.Json(args)) Console.WriteLine(JsonSerializer.Serialize(o));
        else Console.WriteLine($"GPTQ {layers} layers ({linears} linears, {o.tokens} tokens): {seconds:F1} s, peak working set {o.peak_working_set_gb:F2} GB (target 8 GB)");
        return 0;
    }
}
