using System.Diagnostics;
using System.Text.Json;
using QuantReason.Kernels;
using QuantReason.Models;
using QuantReason.Runtime;
using QuantReason.Tensors;

namespace QuantReason.Bench;

/// <summary>
/// Decode and prefill throughput of a model with the layer shapes of Llama-3.2-1B (by default) and random bf16 weights.
/// Batch-1 decode streams every weight once per token, so its figure of merit is the weight bandwidth it achieves as a
/// fraction of the memory bandwidth measured in the same run.
/// </summary>
public static class DecodeBench
{
    public sealed record Options(int Hidden = 2048, int Layers = 16, int Heads = 32, int KvHeads = 8, int Mlp = 8192,
        int Vocab = 128256, int Threads = 2, int Prompt = 128, int DecodeTokens = 32, int Batch = 16, bool Tied = true, bool Json = false);

    public static int Run(string[] args)
    {
        var o = Parse(args);
        KernelThreads.Count = o.Threads;
        var bw = MemoryBandwidth.Measure();
        var model = RandomModel(o);
        var t = model.Transformer;
        long weightBytes = model.Weights.Layers.Sum(l => l.Q.ByteSize + l.K.ByteSize + l.V.ByteSize + l.O.ByteSize
            + l.Gate.ByteSize + l.Up.ByteSize + l.Down.ByteSize) + model.Weights.LmHead.ByteSize;

        var rng = new Random(1);
        int[] Prompt(int n) => Enumerable.Range(0, n).Select(_ => rng.Next(o.Vocab)).ToArray();

        // Prefill: one sequence of o.Prompt tokens.
        var cache = t.NewCache(o.Prompt + o.DecodeTokens + 8);
        var sw = Stopwatch.StartNew();
        t.Forward([new SequenceChunk(cache, Prompt(o.Prompt))], LogitsMode.Last);
        double prefillTps = o.Prompt / sw.Elapsed.TotalSeconds;

        // Batch-1 decode (after one warm-up step).
        var last = new[] { 1 };
        t.Forward([new SequenceChunk(cache, last)], LogitsMode.Last);
        sw.Restart();
        for (int i = 0; i < o.DecodeTokens; i++) t.Forward([new SequenceChunk(cache, last)], LogitsMode.Last);
        double decodeSec = sw.Elapsed.TotalSeconds / o.DecodeTokens;
        double decodeTps = 1 / decodeSec;
        double achievedGBs = weightBytes / decodeSec / 1e9;

        // Batch-N decode: N sequences with short prompts, one shared forward per step.
        var caches = Enumerable.Range(0, o.Batch).Select(_ => t.NewCache(16 + o.DecodeTokens + 8)).ToList();
        t.Forward(caches.Select(c => new SequenceChunk(c, Prompt(16))).ToList(), LogitsMode.Last);
        int steps = Math.Max(4, o.DecodeTokens / 4);
        sw.Restart();
        for (int i = 0; i < steps; i++) t.Forward(caches.Select(c => new SequenceChunk(c, last)).ToList(), LogitsMode.Last);
        double batchTps = o.Batch * steps / sw.Elapsed.TotalSeconds;

        double ratio = achievedGBs / bw.ReadGBs;
        var result = new
        {
            benchmark = "decode",
            shape = new { hidden = o.Hidden, layers = o.Layers, heads = o.Heads, kv_heads = o.KvHeads, mlp = o.Mlp, vocab = o.Vocab, weights = "bf16" },
            threads = o.Threads,
            weight_bytes = weightBytes,
            memory_read_gbs = Math.Round(bw.ReadGBs, 2),
            memory_triad_gbs = Math.Round(bw.TriadGBs, 2),
            decode_batch1_tokens_per_s = Math.Round(decodeTps, 2),
            decode_batch1_weight_gbs = Math.Round(achievedGBs, 2),
            decode_batch_n = o.Batch,
            decode_batch_n_tokens_per_s = Math.Round(batchTps, 2),
            prefill_tokens = o.Prompt,
            prefill_tokens_per_s = Math.Round(prefillTps, 2),
            ratio = Math.Round(ratio, 3),
            ratio_to_triad = Math.Round(achievedGBs / bw.TriadGBs, 3),
        };
        if (o.Json) Console.WriteLine(JsonSerializer.Serialize(result));
        else
        {
            Console.WriteLine($"memory bandwidth (same run): read {bw.ReadGBs:F1} GB/s, triad {bw.TriadGBs:F1} GB/s");
            Console.WriteLine($"weights streamed per token: {weightBytes / 1e9:F2} GB (bf16)");
            Console.WriteLine($"decode batch 1:  {decodeTps:F2} tok/s, {achievedGBs:F1} GB/s = {ratio:P0} of read bandwidth ({achievedGBs / bw.TriadGBs:P0} of triad)");
            Console.WriteLine($"decode batch {o.Batch}: {batchTps:F1} tok/s");
            Console.WriteLine($"prefill {o.Prompt} tokens: {prefillTps:F1} tok/s");
        }
        return 0;
    }

    /// <summary>A model of the given shape with seeded random bf16 weights (scaled so activations stay finite).</summary>
    public static Model RandomModel(Options o)
    {
        var cfg = new ModelConfig
        {
            Architecture = ArchitectureTraits.Of(ArchitectureKind.Llama),
            HiddenSize = o.Hidden, IntermediateSize = o.Mlp, NumLayers = o.Layers, NumHeads = o.Heads, NumKvHeads = o.KvHeads,
            HeadDim = o.Hidden / o.Heads, VocabSize = o.Vocab, RmsNormEps = 1e-5,
            Rope = new RopeScaling(RopeType.Llama3, 500000, 32, 1, 4, 8192), MaxPositionEmbeddings = 131072,
            TieWordEmbeddings = o.Tied, AttentionBias = false, TorchDType = DType.BF16,
        };
        int seed = 0;
        DenseLinear Rand(int outF, int inF)
        {
            ulong layerSeed = (ulong)++seed;
            var w = new ushort[(long)outF * inF];
            float scale = 1f / MathF.Sqrt(inF);
            // Counter-based hashing fills rows in parallel with a result independent of the thread count.
            KernelThreads.For(outF, 1, (r0, r1) =>
            {
                for (long i = (long)r0 * inF; i < (long)r1 * inF; i++)
                {
                    var rng = Rng.ForStream(layerSeed, (ulong)i);
                    w[i] = DTypes.F32ToBF16((float)(rng.NextDouble() * 2 - 1) * scale);
                }
            }, workPerItem: inF);
            return DenseLinear.FromBF16(w, outF, inF);
        }
        float[] Ones(int n) => Enumerable.Repeat(1f, n).ToArray();
        var layers = Enumerable.Range(0, o.Layers).Select(_ => new LayerWeights
        {
            InputNorm = Ones(o.Hidden), PostAttentionNorm = Ones(o.Hidden),
            Q = Rand(cfg.QDim, o.Hidden), K = Rand(cfg.KvDim, o.Hidden), V = Rand(cfg.KvDim, o.Hidden), O = Rand(o.Hidden, cfg.QDim),
            Gate = Rand(o.Mlp, o.Hidden), Up = Rand(o.Mlp, o.Hidden), Down = Rand(o.Hidden, o.Mlp),
        }).ToArray();
        var embed = Rand(o.Vocab, o.Hidden);
        var weights = new ModelWeights
        {
            Config = cfg, Embedding = embed, Layers = layers, FinalNorm = Ones(o.Hidden),
            LmHead = o.Tied ? embed : Rand(o.Vocab, o.Hidden),
        };
        return Model.FromWeights("(random)", weights);
    }

    static Options Parse(string[] args)
    {
        var o = new Options();
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            int Next() => int.Parse(args[++i]);
            o = a switch
            {
                "--hidden" => o with { Hidden = Next() },
                "--layers" => o with { Layers = Next() },
                "--heads" => o with { Heads = Next() },
                "--kv-heads" => o with { KvHeads = Next() },
                "--mlp" => o with { Mlp = Next() },
                "--vocab" => o with { Vocab = Next() },
                "--threads" => o with { Threads = Next() },
                "--prompt" => o with { Prompt = Next() },
                "--tokens" => o with { DecodeTokens = Next() },
                "--batch" => o with { Batch = Next() },
                "--untied" => o with { Tied = false },
                "--json" => o with { Json = true },
                _ => throw new ArgumentException($"unknown option {a}"),
            };
        }
        return o;
    }
}
