using System.Diagnostics;
using System.Text.Json;
using QuantReason.Kernels;
using QuantReason.Models;
using QuantReason.Quantization;
using QuantReason.Runtime;
using QuantReason.Tensors;
using QuantReason.Weights;

namespace QuantReason.Bench;

/// <summary>
/// Decode and prefill throughput of a model with the layer shapes of Llama-3.2-1B (by default) and random bf16 weights.
/// Batch-1 decode streams every weight once per token, so its figure of merit is the weight bandwidth it achieves as a
/// fraction of a plain read of the same weight bytes in the same run (the 1 GB probe is reported as well).
/// </summary>
public static class DecodeBench
{
    public sealed record Options(int Hidden = 2048, int Layers = 16, int Heads = 32, int KvHeads = 8, int Mlp = 8192,
        int Vocab = 128256, int Threads = 2, int Prompt = 128, int DecodeTokens = 32, int Batch = 16, bool Tied = true, bool Json = false,
        string Format = "bf16", int Repeats = 3, bool Profile = false);

    /// <summary>One timed phase: the best of the repeats by wall time, with the process CPU time of that same run.</summary>
    sealed record Timing(double Wall, double Cpu);

    static Timing Best(int repeats, Action run)
    {
        var proc = Process.GetCurrentProcess();
        var best = new Timing(double.MaxValue, 0);
        for (int r = 0; r < repeats; r++)
        {
            proc.Refresh();
            var cpu0 = proc.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            run();
            double wall = sw.Elapsed.TotalSeconds;
            proc.Refresh();
            if (wall < best.Wall) best = new Timing(wall, (proc.TotalProcessorTime - cpu0).TotalSeconds);
        }
        return best;
    }

    static double Median(List<double> v)
    {
        var s = v.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    /// <summary>The figures of one weight format.</summary>
    sealed record FormatRun(string Weights, long WeightBytes, double SameBytesGBs, double SameBytesMinGBs, double SameBytesMaxGBs,
        int SameBytesReads, double SameBytesCpuGBs, double DecodeTps, double DecodeGBs, double DecodeTpsCpu, double? LinearShare,
        double BatchTps, double BatchTpsCpu, double PrefillTps, double PrefillTpsCpu, string Activations, string KvCache, long KvBytes)
    {
        /// <summary>Batch-1 decode's weight bandwidth over the median same-bytes read: the figure that cannot exceed 1.</summary>
        public double Ratio => DecodeGBs / SameBytesGBs;
    }

    public static int Run(string[] args)
    {
        var (rest, activations, kvCache) = DecodeSchemes.Take(args);
        var o = Parse(rest);
        using var threadScope = KernelThreads.Use(o.Threads);
        var bw = MemoryBandwidth.Measure();
        var formats = o.Format.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var f in formats) QuantFormatOf(f); // every name checked before the first (long) pass
        var passes = formats.Select(f =>
        {
            var pass = new FormatPass(o, f, activations, kvCache);
            GC.Collect(); // the unquantized weights a format was built from go before the next one is built
            return pass;
        }).ToList();
        for (int r = 0; r < o.Repeats; r++)
            foreach (var pass in passes) pass.Round();
        var runs = passes.Select(p => p.Result()).ToList();
        var first = runs[0];
        // Against the bf16 pass of this same invocation: what quantizing buys for multi-token work (issue 18: ≥ 1.3).
        var bf16 = runs.FirstOrDefault(r => r.Weights == "bf16");
        double? Vs(string weights, Func<FormatRun, double> figure) =>
            bf16 is null || runs.FirstOrDefault(r => r.Weights == weights && r != bf16) is not { } q ? null : Math.Round(figure(q) / figure(bf16), 3);
        var versus = bf16 is null ? null : runs.Where(r => r != bf16).ToDictionary(r => r.Weights, r => new
        {
            prefill_ratio = Vs(r.Weights, x => x.PrefillTps),
            decode_batch_n_ratio = Vs(r.Weights, x => x.BatchTps),
            decode_batch1_ratio = Vs(r.Weights, x => x.DecodeTps),
        });
        object Json(FormatRun r) => new
        {
            weights = r.Weights,
            weight_bytes = r.WeightBytes,
            activations = r.Activations,
            kv_cache = r.KvCache,
            kv_bytes_read_per_token = r.KvBytes,
            same_bytes_read_gbs = Math.Round(r.SameBytesGBs, 2),
            same_bytes_read_min_gbs = Math.Round(r.SameBytesMinGBs, 2),
            same_bytes_read_max_gbs = Math.Round(r.SameBytesMaxGBs, 2),
            same_bytes_reads = r.SameBytesReads,
            decode_batch1_tokens_per_s = Math.Round(r.DecodeTps, 2),
            decode_batch1_weight_gbs = Math.Round(r.DecodeGBs, 2),
            decode_batch1_tokens_per_cpu_s_times_threads = Math.Round(r.DecodeTpsCpu, 2),
            decode_batch_n_tokens_per_s = Math.Round(r.BatchTps, 2),
            decode_batch_n_tokens_per_cpu_s_times_threads = Math.Round(r.BatchTpsCpu, 2),
            prefill_tokens_per_s = Math.Round(r.PrefillTps, 2),
            prefill_tokens_per_cpu_s_times_threads = Math.Round(r.PrefillTpsCpu, 2),
            linear_share_of_decode = r.LinearShare,
            ratio = Math.Round(r.Ratio, 3),
            ratio_cpu = Math.Round(r.WeightBytes * r.DecodeTpsCpu / 1e9 / r.SameBytesCpuGBs, 3),
            // The cache is streamed too: weights plus keys and values read per step, against the plain read of the weights.
            ratio_with_kv = Math.Round((r.WeightBytes + r.KvBytes) * r.DecodeTps / 1e9 / r.SameBytesGBs, 3),
            ratio_probe = Math.Round(r.DecodeGBs / bw.ReadGBs, 3),
            ratio_to_triad = Math.Round(r.DecodeGBs / bw.TriadGBs, 3),
        };
        var result = new
        {
            benchmark = "decode",
            shape = new { hidden = o.Hidden, layers = o.Layers, heads = o.Heads, kv_heads = o.KvHeads, mlp = o.Mlp, vocab = o.Vocab, weights = first.Weights },
            threads = o.Threads,
            load_average = LoadAverage(),
            memory_read_gbs = Math.Round(bw.ReadGBs, 2),
            memory_read_per_cpu_gbs = Math.Round(bw.ReadPerCpuGBs, 2),
            memory_triad_gbs = Math.Round(bw.TriadGBs, 2),
            memory_probe_huge_pages = bw.HugePageShare,
            decode_batch_n = o.Batch,
            prefill_tokens = o.Prompt,
            ratio = Math.Round(first.Ratio, 3), // the first format's batch-1 decode over its same-bytes read; each format's in `formats`
            formats = runs.Select(Json).ToArray(),
            versus_bf16 = versus,
        };
        if (o.Json) Console.WriteLine(JsonSerializer.Serialize(result));
        else
        {
            Console.WriteLine($"memory bandwidth (same run): read {bw.ReadGBs:F1} GB/s ({bw.ReadPerCpuGBs:F1} per CPU-second × threads), triad {bw.TriadGBs:F1} GB/s; probe on huge pages {bw.HugePageShare:P0}; load average {result.load_average}");
            foreach (var r in runs)
            {
                Console.WriteLine($"[{r.Weights}] weights streamed per token: {r.WeightBytes / 1e9:F2} GB, activations {r.Activations}, KV cache {r.KvCache}: {r.KvBytes / 1e6:F1} MB read per token at the end");
                Console.WriteLine($"  plain read of the same weight bytes: median {r.SameBytesGBs:F1} GB/s of {r.SameBytesReads} reads interleaved with the timed runs (spread {r.SameBytesMinGBs:F1}–{r.SameBytesMaxGBs:F1})");
                Console.WriteLine($"  decode batch 1:  {r.DecodeTps:F2} tok/s, {r.DecodeGBs:F1} GB/s = {r.Ratio:P0} of reading the same bytes ({r.DecodeGBs / bw.ReadGBs:P0} of the probe); from CPU time {r.DecodeTpsCpu:F2} tok/s");
                if (r.LinearShare is not null) Console.WriteLine($"  linear layers: {r.LinearShare:P1} of decode wall time");
                Console.WriteLine($"  decode batch {o.Batch}: {r.BatchTps:F1} tok/s (from CPU time {r.BatchTpsCpu:F1})");
                Console.WriteLine($"  prefill {o.Prompt} tokens: {r.PrefillTps:F1} tok/s (from CPU time {r.PrefillTpsCpu:F1})");
            }
            if (versus is not null)
                foreach (var (name, v) in versus)
                    Console.WriteLine($"{name} / bf16: prefill {v.prefill_ratio:F2}×, decode batch {o.Batch} {v.decode_batch_n_ratio:F2}×, decode batch 1 {v.decode_batch1_ratio:F2}×");
        }
        return 0;
    }

    static string LoadAverage()
    {
        try { return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "?"; }
    }

    /// <summary>
    /// One format's model and its three timed phases (prefill, batch-1 decode, batch-N decode), run one repeat at a time
    /// so that the formats of an invocation take turns: a slow moment of a shared machine then lands on every format of
    /// that round instead of on one format's whole pass, and the ratios between formats stay what the kernels make them.
    /// Before each timed run, a plain read of exactly the weight bytes batch-1 decode streams (see IStreamedWeight): the
    /// limit is the median of reads taken under the same conditions as the runs it limits.
    /// </summary>
    sealed class FormatPass
    {
        readonly Options _o;
        readonly Transformer _t;
        readonly string _name;
        readonly long _weightBytes;
        readonly IReadOnlyDictionary<string, string> _schemes;
        readonly Action _limit;
        readonly List<double> _reads = [];
        readonly Timing _readCpu;
        readonly TimedLinear.Clock? _profile;
        readonly int[] _prompt;
        readonly int _ctx, _steps;
        readonly KvCache _cache;
        readonly List<KvCache> _caches;
        static readonly int[] Last = [1];
        Timing _prefill = new(double.MaxValue, 0), _decode = new(double.MaxValue, 0), _batch = new(double.MaxValue, 0);
        long _decodeLinearTicks, _decodeTicks; // --profile: time inside the linears during batch-1 decode, and all of it

        public FormatPass(Options o, string format, string? activations, string? kvCache)
        {
            _o = o;
            var model = RandomModel(o);
            var quant = QuantFormatOf(format);
            if (quant is not null) Quantize(model, quant);
            _name = quant?.Name ?? "bf16";
            _schemes = model.Transformer.ForceSchemes(activations, kvCache);
            _t = model.Transformer;
            var linears = model.Weights.Layers.SelectMany(l => new[] { l.Q, l.K, l.V, l.O, l.Gate, l.Up, l.Down }).Append(model.Weights.LmHead);
            _weightBytes = linears.Sum(l => l.ByteSize);
            var streams = linears.SelectMany(l => ((IStreamedWeight)l).StreamedMemory).ToList();
            _readCpu = Best(2, () => MemoryBandwidth.ReadAll(streams));
            _limit = () => MemoryBandwidth.ReadAll(streams);
            _profile = o.Profile ? TimedLinear.Wrap(model.Weights) : null;

            var rng = new Random(1);
            int[] Prompt(int n) => Enumerable.Range(0, n).Select(_ => rng.Next(o.Vocab)).ToArray();
            _ctx = o.Prompt + (o.Repeats + 1) * o.DecodeTokens + 8;
            _prompt = Prompt(o.Prompt);
            // Batch-1 decode continues one sequence (after a warm-up step); batch-N decodes N sequences with short prompts,
            // one shared forward per step.
            _cache = _t.NewCache(_ctx);
            _t.Forward([new SequenceChunk(_cache, _prompt)], LogitsMode.Last);
            _t.Forward([new SequenceChunk(_cache, Last)], LogitsMode.Last);
            _steps = Math.Max(4, o.DecodeTokens / 4);
            _caches = Enumerable.Range(0, o.Batch).Select(_ => _t.NewCache(16 + (o.Repeats + 1) * _steps + 8)).ToList();
            _t.Forward(_caches.Select(c => new SequenceChunk(c, Prompt(16))).ToList(), LogitsMode.Last);
        }

        /// <summary>One repeat of each phase; prefill three times, as it is the shortest (a few hundred ms, where one
        /// descheduled moment of the VM is a large share: its ratio against bf16 swung 1.29–1.45 with one per round).</summary>
        public void Round()
        {
            for (int i = 0; i < 3; i++)
                _prefill = Faster(_prefill, () => _t.Forward([new SequenceChunk(_t.NewCache(_ctx), _prompt)], LogitsMode.Last));
            _decode = Faster(_decode, () =>
            {
                for (int i = 0; i < _o.DecodeTokens; i++) _t.Forward([new SequenceChunk(_cache, Last)], LogitsMode.Last);
            }, profiled: true);
            _batch = Faster(_batch, () =>
            {
                for (int i = 0; i < _steps; i++) _t.Forward(_caches.Select(c => new SequenceChunk(c, Last)).ToList(), LogitsMode.Last);
            });
        }

        Timing Faster(Timing best, Action run, bool profiled = false)
        {
            var sr = Stopwatch.StartNew();
            _limit();
            _reads.Add(sr.Elapsed.TotalSeconds);
            var proc = Process.GetCurrentProcess();
            proc.Refresh();
            var cpu0 = proc.TotalProcessorTime;
            long linear0 = _profile?.Ticks ?? 0;
            var sw = Stopwatch.StartNew();
            run();
            double wall = sw.Elapsed.TotalSeconds;
            proc.Refresh();
            if (profiled && _profile is not null)
            {
                _decodeLinearTicks += _profile.Ticks - linear0;
                _decodeTicks += (long)(wall * Stopwatch.Frequency);
            }
            return wall < best.Wall ? new Timing(wall, (proc.TotalProcessorTime - cpu0).TotalSeconds) : best;
        }

        public FormatRun Result()
        {
            _reads.Add(Seconds(_limit)); // and one after the last run
            var o = _o;
            double? linearShare = _profile is null ? null : Math.Round((double)_decodeLinearTicks / _decodeTicks, 3);
            double decodeSec = _decode.Wall / o.DecodeTokens, decodeCpu = _decode.Cpu / o.DecodeTokens;
            long kvBytes = DecodeSchemes.KvBytesRead(_cache); // at the last step, the longest context of the phase
            double median = Median(_reads);
            return new FormatRun(_name, _weightBytes, _weightBytes / median / 1e9, _weightBytes / _reads.Max() / 1e9,
                _weightBytes / _reads.Min() / 1e9, _reads.Count, _weightBytes / _readCpu.Cpu * o.Threads / 1e9,
                1 / decodeSec, _weightBytes / decodeSec / 1e9, o.Threads / decodeCpu, linearShare,
                o.Batch * _steps / _batch.Wall, o.Batch * _steps / _batch.Cpu * o.Threads, o.Prompt / _prefill.Wall, o.Prompt / _prefill.Cpu * o.Threads,
                _schemes.GetValueOrDefault("activations", "f32"), _schemes.GetValueOrDefault("kv_cache", "f32"), kvBytes);
        }

        static double Seconds(Action a)
        {
            var sw = Stopwatch.StartNew();
            a();
            return sw.Elapsed.TotalSeconds;
        }
    }

    /// <summary>bf16 (null), or the integer format: q8 = int8 per channel, q4 = 4-bit groups of 128, or any IntN name.
    /// <c>--format bf16,q4,q8</c> runs each in turn in one invocation and reports the quantized ones against bf16.</summary>
    static QuantFormat? QuantFormatOf(string name) => name switch
    {
        "bf16" => null,
        "q8" => QuantFormat.Parse("int8"),
        "q4" => QuantFormat.Parse("q4_g128"),
        _ => QuantFormat.Parse(name) is { Kind: QuantKind.IntN } f ? f
            : throw new QuantReasonException($"decode bench runs bf16 or integer (IntN) formats, not {name}", "--format"),
    };

    /// <summary>Every linear, the LM head included (untied from the bf16 embedding), replaced by seeded random codes of
    /// the format packed through <see cref="QuantizedLinear"/>; scales (fp16 numbers) keep the weights' spread at ±1/√in
    /// as the bf16 model's. Speed does not depend on the values, only on the format.</summary>
    static void Quantize(Model model, QuantFormat f)
    {
        int seed = 1000;
        QuantizedLinear Q(ILinearWeight w)
        {
            int outF = w.OutFeatures, inF = w.InFeatures, gl = f.GroupLength(inF), groups = inF / gl, maxq = f.MaxQ;
            ulong s = (ulong)++seed;
            var codes = new byte[(long)outF * inF];
            KernelThreads.For(outF, 1, (r0, r1) =>
            {
                for (int r = r0; r < r1; r++)
                {
                    var rng = Rng.ForStream(s, (ulong)r);
                    for (long i = (long)r * inF; i < (long)(r + 1) * inF; i += 8)
                    {
                        ulong bits = rng.NextUInt64();
                        for (int j = 0; j < 8 && i + j < (long)(r + 1) * inF; j++, bits >>= 8) codes[i + j] = (byte)((bits & 0xff) % (ulong)(maxq + 1));
                    }
                }
            }, workPerItem: inF);
            // fp16 scales, as GPTQ/AWQ checkpoints store them (so packing keeps them as fp16 and streams those bytes)
            var scales = Enumerable.Repeat((float)(Half)(2f / (maxq * MathF.Sqrt(inF))), outF * groups).ToArray();
            var zeros = Enumerable.Repeat(f.Symmetric ? (maxq + 1) / 2f : maxq / 2f, outF * groups).ToArray();
            return QuantizedLinear.Pack(new QuantizedTensor(f, outF, inF, codes, scales, zeros, QuantizedTensor.SequentialGIdx(inF, gl)));
        }
        foreach (var l in model.Weights.Layers)
            foreach (var p in Enum.GetValues<Projection>())
                l[p] = Q(l[p]);
        model.Weights.LmHead = Q(model.Weights.LmHead);
    }

    /// <summary>Wall time spent in linear layers (the weight streaming) versus everything else, for --profile.</summary>
    sealed class TimedLinear(ILinearWeight inner, TimedLinear.Clock clock) : ILinearWeight
    {
        public sealed class Clock
        {
            public long Ticks; // Stopwatch ticks spent inside the wrapped linears
        }

        public static Clock Wrap(ModelWeights w)
        {
            var clock = new Clock();
            foreach (var l in w.Layers)
                foreach (var p in Enum.GetValues<Projection>())
                    l[p] = new TimedLinear(l[p], clock);
            w.LmHead = new TimedLinear(w.LmHead, clock);
            return clock;
        }

        public int InFeatures => inner.InFeatures;
        public int OutFeatures => inner.OutFeatures;
        public string Format => inner.Format;
        public long ByteSize => inner.ByteSize;
        public float[] ToF32() => inner.ToF32();

        public void Forward(ReadOnlySpan<float> x, Span<float> y, int tokens)
        {
            long t0 = Stopwatch.GetTimestamp();
            inner.Forward(x, y, tokens);
            clock.Ticks += Stopwatch.GetTimestamp() - t0;
        }
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
                "--format" => o with { Format = args[++i] },
                "--repeats" => o with { Repeats = Next() },
                "--profile" => o with { Profile = true },
                _ => throw new ArgumentException($"unknown option {a}"),
            };
        }
        return o;
    }
}
