using System.Numerics.Tensors;
using QuantReason.Kernels;
using QuantReason.Models;
using QuantReason.Weights;

namespace QuantReason.Runtime;

/// <summary>New tokens of one sequence to run, appended to that sequence's cache.</summary>
public sealed record SequenceChunk(KvCache Cache, int[] Tokens);

public enum LogitsMode { None, Last, All }

/// <summary>Sees the input [tokens, in] that the projections of <paramref name="group"/> (one of the architecture's
/// <see cref="LayerWiring.Groups"/>) share, just before they run: quantizers gather Hessians, AWQ and SmoothQuant
/// statistics through this.</summary>
public delegate void LinearInputObserver(InputGroup group, ReadOnlySpan<float> input, int tokens);

/// <summary>
/// Precision of activations between operations. Arithmetic is always f32; <see cref="BF16"/> rounds each operation's result
/// to bf16 where transformers running a bf16 checkpoint materialises a bf16 tensor, so greedy decoding breaks logit ties
/// exactly as it does (bf16 logits tie often).
/// </summary>
public enum ActivationPrecision { F32, BF16 }

/// <summary>
/// The Llama-family decoder forward pass in f32, over a batch of sequences of any lengths: the linear layers see all new
/// tokens of all sequences at once (weights streamed once per step); attention runs per sequence against its own cache.
/// </summary>
public sealed class Transformer
{
    public ModelWeights Weights { get; }
    public ModelConfig Config => Weights.Config;
    readonly float[] _invFreq; // [headDim/2]

    public ActivationPrecision Precision { get; set; }

    /// <summary>Dynamic per-token quantization of every decoder linear's input (W·A·); null runs f32 activations.</summary>
    public ActivationScheme? Activations { get; private set; }

    /// <summary>How new caches store keys and values (groups within a head); null for f32.</summary>
    public ActivationScheme? KvCacheScheme { get; private set; }

    public Transformer(ModelWeights weights)
    {
        Weights = weights;
        Precision = weights.Config.TorchDType == Tensors.DType.BF16 ? ActivationPrecision.BF16 : ActivationPrecision.F32;
        _invFreq = weights.Config.Rope.InverseFrequencies(weights.Config.HeadDim);
        var q = weights.Quantization;
        if (q?.Activations is not null || q?.KvCache is not null) UseSchemes(q.Activations, q.KvCache);
    }

    /// <summary>
    /// Runs the model with these activation and KV-cache schemes (null: f32), checked once against every layer: a group
    /// that does not tile a linear's input or a head, or a scheme a layer's own integer path can't run (W8A8 quantizes its
    /// input to int8 per token itself), is one error naming the layer. Linears without an integer kernel for the scheme
    /// get x̂ = dequantize(quantize(x)) and their usual kernel: the reference the training fake quantization computes.
    /// </summary>
    public void UseSchemes(ActivationScheme? activations, ActivationScheme? kvCache)
    {
        var cfg = Config;
        if (activations is not null)
        {
            activations.Validated("activations");
            for (int l = 0; l < cfg.NumLayers; l++)
                foreach (var p in cfg.Architecture.Wiring.Projections)
                {
                    var w = Weights.Layers[l][p.Id];
                    string layer = WeightNames.Layer(l, p.Name);
                    activations.CheckWidth(w.InFeatures, layer);
                    if (w is W8A8Linear && activations != new ActivationScheme(8))
                        throw new QuantReasonException($"activation scheme {activations} can't run on a w8a8 layer, which quantizes its input to int8 per token itself (use a8 or none)", layer);
                }
        }
        KvCacheScheme = kvCache?.Validated("kv_cache").ForHeads(cfg.HeadDim, "kv_cache");
        Activations = activations;
    }

    /// <summary>Overrides from flags (e.g. <c>--activations a4 --kv-cache kv4g32</c>, or "none"); a null flag keeps the
    /// checkpoint's own scheme. Returns <see cref="SchemeTags"/> after the override.</summary>
    public IReadOnlyDictionary<string, string> ForceSchemes(string? activations, string? kvCache)
    {
        UseSchemes(activations is null ? Activations : ActivationScheme.Parse(activations, "a", "--activations"),
            kvCache is null ? KvCacheScheme : ActivationScheme.Parse(kvCache, "kv", "--kv-cache"));
        return SchemeTags;
    }

    /// <summary>The schemes in force as run tags (<c>activations</c>, <c>kv_cache</c>; absent when f32).</summary>
    public IReadOnlyDictionary<string, string> SchemeTags
    {
        get
        {
            var tags = new Dictionary<string, string>(StringComparer.Ordinal);
            if (Activations is not null) tags["activations"] = Activations.Name();
            if (KvCacheScheme is not null) tags["kv_cache"] = KvCacheScheme.Name("kv");
            return tags;
        }
    }

    public KvCache NewCache(int initialCapacity = 64) =>
        new(Config.NumLayers, Config.KvDim, Config.MaxPositionEmbeddings, initialCapacity, KvCacheScheme);

    /// <summary>
    /// Runs the chunks and returns logits: one row per chunk (its last token) for <see cref="LogitsMode.Last"/>, one row per
    /// token for <see cref="LogitsMode.All"/>, in chunk order. <paramref name="hiddenStates"/>, when given, receives the
    /// residual stream [tokens, hidden] after the embedding (stage 0), after each layer, and after the final norm
    /// (stage layers + 1), as transformers' output_hidden_states reports them.
    /// </summary>
    public float[] Forward(IReadOnlyList<SequenceChunk> chunks, LogitsMode mode, Action<int, float[]>? hiddenStates = null)
    {
        var cfg = Config;
        int hidden = cfg.HiddenSize;
        var (starts, total) = Reserve(chunks);
        var x = Embed(chunks);                // [tokens, hidden] residual stream
        bool bf = Precision == ActivationPrecision.BF16;
        float eps = (float)cfg.RmsNormEps;
        void Round(Span<float> a) { if (bf) Ops.RoundToBF16(a); }
        hiddenStates?.Invoke(0, (float[])x.Clone());

        var scratch = new LayerScratch(cfg, chunks, starts, total);
        for (int l = 0; l < cfg.NumLayers; l++)
        {
            RunLayer(l, chunks, starts, x, scratch, null, null);
            if (hiddenStates is not null && l < cfg.NumLayers - 1) hiddenStates(l + 1, (float[])x.Clone());
        }
        foreach (var c in chunks) c.Cache.Advance(c.Tokens.Length);

        if (mode == LogitsMode.None && hiddenStates is null) return [];
        // Only the rows whose logits are wanted go through the final norm and the (large) LM head.
        int[] rows = mode == LogitsMode.All || hiddenStates is not null
            ? Enumerable.Range(0, total).ToArray()
            : chunks.Select((c, i) => starts[i] + c.Tokens.Length - 1).ToArray();
        var normed = new float[rows.Length * hidden];
        for (int i = 0; i < rows.Length; i++)
            Ops.RmsNorm(x.AsSpan(rows[i] * hidden, hidden), Weights.FinalNorm, normed.AsSpan(i * hidden, hidden), 1, hidden, eps, bf);
        hiddenStates?.Invoke(cfg.NumLayers, (float[])normed.Clone());
        if (mode == LogitsMode.None) return [];
        if (mode == LogitsMode.Last && rows.Length != chunks.Count)
        {
            var last = chunks.Select((c, i) => starts[i] + c.Tokens.Length - 1).ToArray();
            var sel = new float[last.Length * hidden];
            for (int i = 0; i < last.Length; i++) Array.Copy(normed, last[i] * hidden, sel, i * hidden, hidden);
            normed = sel;
        }
        int outRows = normed.Length / hidden;
        var logits = new float[outRows * cfg.VocabSize];
        Weights.LmHead.Forward(normed, logits, outRows);
        Round(logits);
        return logits;
    }

    /// <summary>Embeds the chunks' tokens: the residual stream [tokens, hidden] that layer 0 reads.</summary>
    public float[] Embed(IReadOnlyList<SequenceChunk> chunks)
    {
        int hidden = Config.HiddenSize;
        var x = new float[chunks.Sum(c => c.Tokens.Length) * hidden]; // [tokens, hidden]
        int t = 0;
        foreach (var c in chunks)
            foreach (var id in c.Tokens) Weights.Embedding.CopyRow(id, x.AsSpan(t++ * hidden, hidden));
        return x;
    }

    /// <summary>
    /// Runs decoder layer <paramref name="layer"/> alone on the residual stream <paramref name="x"/> [tokens, hidden] of
    /// the chunks (all starting at their cache's current length), updating it in place, so that quantizers can stream
    /// calibration activations one layer at a time. <paramref name="observe"/> sees each input group's input before its
    /// linears run; with <paramref name="stopBefore"/> the layer stops after observing that group's input (x is then partly
    /// updated and should be a scratch copy). The caches only serve as attention scratch: their lengths do not advance.
    /// With <paramref name="resumeAt"/> the layer starts at that group instead (a quantizer that kept the state of an
    /// earlier pass need not recompute what comes before it): x is the residual stream as it stands there (after the
    /// attention block for the MLP's groups) and <paramref name="resumeInput"/> [tokens, width] the group's input when a
    /// linear computes it (o: the attention outputs; down: silu(gate)·up); a norm-fed group's input comes from x again.
    /// </summary>
    public void ForwardLayer(int layer, IReadOnlyList<SequenceChunk> chunks, float[] x, LinearInputObserver? observe = null, InputGroup? stopBefore = null,
        InputGroup? resumeAt = null, float[]? resumeInput = null)
    {
        if ((uint)layer >= (uint)Config.NumLayers) throw new ArgumentOutOfRangeException(nameof(layer));
        var groups = Config.Architecture.Wiring.Groups;
        if (stopBefore is not null && !groups.Contains(stopBefore))
            throw new ArgumentException($"not an input group of {Config.Architecture.HfClass}", nameof(stopBefore));
        int from = resumeAt is null ? 0 : groups.ToList().IndexOf(resumeAt);
        if (from < 0) throw new ArgumentException($"not an input group of {Config.Architecture.HfClass}", nameof(resumeAt));
        var (starts, total) = Reserve(chunks);
        if (x.Length != total * Config.HiddenSize) throw new ArgumentException($"x has {x.Length} values, expected {total}×{Config.HiddenSize}", nameof(x));
        int width = Config.Architecture.Wiring[resumeAt?.First ?? Projection.Q].Shape(Config).In;
        if (resumeAt is { Norm: null } && (resumeInput?.Length ?? 0) < total * width)
            throw new ArgumentException($"resuming at {resumeAt.First} needs its input [{total}, {width}]", nameof(resumeInput));
        RunLayer(layer, chunks, starts, x, new LayerScratch(Config, chunks, starts, total), observe, stopBefore, from, resumeInput);
    }

    static (int[] Starts, int Total) Reserve(IReadOnlyList<SequenceChunk> chunks)
    {
        int total = 0;
        var starts = new int[chunks.Count]; // offset of each chunk's tokens in the batch
        for (int i = 0; i < chunks.Count; i++)
        {
            var c = chunks[i];
            if (c.Tokens.Length == 0) throw new ArgumentException("empty chunk");
            c.Cache.Reserve(c.Tokens.Length);
            starts[i] = total;
            total += c.Tokens.Length;
        }
        return (starts, total);
    }

    /// <summary>The per-step buffers one layer needs, shared by all layers of a step.</summary>
    sealed class LayerScratch(ModelConfig cfg, IReadOnlyList<SequenceChunk> chunks, int[] starts, int total)
    {
        public readonly int Total = total;
        public readonly float[] H = new float[total * cfg.HiddenSize];          // [tokens, hidden] normed input of a block
        public readonly float[] Q = new float[total * cfg.QDim];                // [tokens, heads·headDim]
        public readonly float[] K = new float[total * cfg.KvDim];               // [tokens, kvHeads·headDim]
        public readonly float[] V = new float[total * cfg.KvDim];               // [tokens, kvHeads·headDim]
        public readonly float[] Att = new float[total * cfg.QDim];              // [tokens, heads·headDim]
        public readonly float[] Gate = new float[total * cfg.IntermediateSize]; // [tokens, intermediate]
        public readonly float[] Up = new float[total * cfg.IntermediateSize];   // [tokens, intermediate]
        public readonly int[] Positions = PositionsOf(chunks, starts, total);

        static int[] PositionsOf(IReadOnlyList<SequenceChunk> chunks, int[] starts, int total)
        {
            var p = new int[total];
            for (int c = 0; c < chunks.Count; c++)
                for (int j = 0; j < chunks[c].Tokens.Length; j++) p[starts[c] + j] = chunks[c].Cache.Length + j;
            return p;
        }
    }

    // from: the index of the input group the layer starts at (0: the whole layer; see ForwardLayer).
    void RunLayer(int l, IReadOnlyList<SequenceChunk> chunks, int[] starts, float[] x, LayerScratch s, LinearInputObserver? observe, InputGroup? stopBefore,
        int from = 0, float[]? resumeInput = null)
    {
        var cfg = Config;
        int hidden = cfg.HiddenSize, kvDim = cfg.KvDim, total = s.Total;
        float[] h = s.H, q = s.Q, k = s.K, v = s.V, att = s.Att, gate = s.Gate, up = s.Up;
        bool bf = Precision == ActivationPrecision.BF16;
        float eps = (float)cfg.RmsNormEps;
        void Round(Span<float> a) { if (bf) Ops.RoundToBF16(a); }
        var act = Activations;
        // Observes the input the group of `first` shares; false when the caller asked to stop at this group.
        var wiring = cfg.Architecture.Wiring;
        bool Observe(float[] input, int width, Projection first)
        {
            act?.FakeQuantize(input.AsSpan(0, total * width), total, width); // what the linears (and observers) see
            var group = wiring.GroupOf(first);
            observe?.Invoke(group, input.AsSpan(0, total * width), total);
            return !ReferenceEquals(group, stopBefore);
        }

        // Under an activation scheme the inputs already are the scheme's grid values: kept exact (see
        // QuantizedLinear.ForwardExactActivations), so the runtime computes what the trainer's fake quantization does.
        void Linear(ILinearWeight w, float[] input, float[] output)
        {
            if (act is not null && w is QuantizedLinear ql) ql.ForwardExactActivations(input, output, total);
            else w.Forward(input, output, total);
        }
        // Projections of one input (q/k/v, gate/up): quantized weights whose integer kernel takes the same rounded
        // activations get them rounded once.
        IntActivations? shared = null;
        void SharedLinear(ILinearWeight w, float[] input, float[] output)
        {
            if (act is null && w is QuantizedLinear ql && ql.IntegerInput(input, total, shared) is { } a)
            {
                ql.Forward(shared = a, output);
                return;
            }
            Linear(w, input, output);
        }

        var L = Weights.Layers[l];
        // The entry points of a resumed layer (see ForwardLayer).
        if (from == 1) { att = resumeInput!; goto attentionOutput; }
        if (from == 2) goto mlp;
        if (from == 3) { gate = resumeInput!; goto mlpOutput; }
        Ops.RmsNorm(x, L.InputNorm, h, total, hidden, eps, bf);
        if (!Observe(h, hidden, Projection.Q)) return;
        SharedLinear(L.Q, h, q);
        SharedLinear(L.K, h, k);
        SharedLinear(L.V, h, v);
        shared = null;
        if (L.QBias is not null) { Ops.AddBias(q, L.QBias, total); Ops.AddBias(k, L.KBias!, total); Ops.AddBias(v, L.VBias!, total); }
        Round(q); Round(k); Round(v);
        if (L.QNorm is not null)
        {
            // Qwen3 normalises each head's query and key before the rotation.
            Ops.RmsNorm(q, L.QNorm, q, total * cfg.NumHeads, cfg.HeadDim, eps, bf);
            Ops.RmsNorm(k, L.KNorm!, k, total * cfg.NumKvHeads, cfg.HeadDim, eps, bf);
        }
        Ops.Rope(q, s.Positions, cfg.NumHeads, cfg.HeadDim, _invFreq, bf);
        Ops.Rope(k, s.Positions, cfg.NumKvHeads, cfg.HeadDim, _invFreq, bf);
        for (int c = 0; c < chunks.Count; c++)
        {
            var cache = chunks[c].Cache;
            int n = chunks[c].Tokens.Length;
            cache.Write(l, cache.Length, k.AsSpan(starts[c] * kvDim, n * kvDim), v.AsSpan(starts[c] * kvDim, n * kvDim), n);
        }
        Attention(chunks, starts, l, q, att);
        Round(att);
    attentionOutput:
        if (!Observe(att, cfg.QDim, Projection.O)) return;
        Linear(L.O, att, h);
        Round(h);
        TensorPrimitives.Add(x, h, x);
        Round(x);

    mlp:
        Ops.RmsNorm(x, L.PostAttentionNorm, h, total, hidden, eps, bf);
        if (!Observe(h, hidden, Projection.Gate)) return;
        shared = null;
        SharedLinear(L.Gate, h, gate);
        SharedLinear(L.Up, h, up);
        shared = null;
        Round(gate); Round(up);
        Ops.SwiGlu(gate, up, gate, bf);
    mlpOutput:
        if (!Observe(gate, cfg.IntermediateSize, Projection.Down)) return;
        Linear(L.Down, gate, h);
        Round(h);
        TensorPrimitives.Add(x, h, x);
        Round(x);
    }

    // Causal attention of each chunk's new queries against its cache (which already holds this step's keys and values).
    void Attention(IReadOnlyList<SequenceChunk> chunks, int[] starts, int layer, float[] q, float[] att)
    {
        var cfg = Config;
        int heads = cfg.NumHeads, hd = cfg.HeadDim, qDim = cfg.QDim, kvDim = cfg.KvDim, group = heads / cfg.NumKvHeads;
        float scale = 1f / MathF.Sqrt(hd);
        bool bf16 = Precision == ActivationPrecision.BF16;
        long work = 0;
        foreach (var c in chunks) work += (long)c.Tokens.Length * (c.Cache.Length + c.Tokens.Length) * hd;
        int items = chunks.Count * heads;
        KernelThreads.For(items, 1, (i0, i1) =>
        {
            float[] scores = [], kq = [], vq = [];
            int heldChunk = -1, heldKvHead = -1; // whose rows kq/vq hold: the query heads of a group are consecutive items
            for (int item = i0; item < i1; item++)
            {
                int c = item / heads, head = item % heads, kvHead = head / group;
                var cache = chunks[c].Cache;
                int n = chunks[c].Tokens.Length, past = cache.Length;
                // An f32 cache is read in place; a quantized one dequantizes this KV head's rows [past + n, headDim] once
                // for all the query heads that share it.
                float[] K, V;
                int stride = kvDim, at = kvHead * hd;
                if (cache.Scheme is null) { K = cache.Keys(layer); V = cache.Values(layer); }
                else
                {
                    if (kq.Length < (past + n) * hd) { kq = new float[(past + n) * hd]; vq = new float[(past + n) * hd]; heldChunk = -1; }
                    if (heldChunk != c || heldKvHead != kvHead) cache.ReadHead(layer, kvHead, hd, past + n, kq, vq);
                    (heldChunk, heldKvHead) = (c, kvHead);
                    K = kq; V = vq; stride = hd; at = 0;
                }
                if (scores.Length < past + n) scores = new float[past + n];
                for (int j = 0; j < n; j++)
                {
                    int t = starts[c] + j, len = past + j + 1; // causal: positions 0..past+j
                    var qv = q.AsSpan(t * qDim + head * hd, hd);
                    for (int p = 0; p < len; p++)
                        scores[p] = TensorPrimitives.Dot(qv, K.AsSpan(p * stride + at, hd)) * scale;
                    var s = scores.AsSpan(0, len);
                    var o = att.AsSpan(t * qDim + head * hd, hd);
                    o.Clear();
                    if (!bf16)
                    {
                        TensorPrimitives.SoftMax(s, s);
                        for (int p = 0; p < len; p++)
                            TensorPrimitives.MultiplyAdd(V.AsSpan(p * stride + at, hd), s[p], o, o);
                    }
                    else
                    {
                        // As PyTorch's fused (flash) attention does for bf16: the unnormalised probabilities are cast to
                        // bf16 for the product with V, while their sum, which normalises the output, stays f32.
                        float m = TensorPrimitives.Max(s);
                        TensorPrimitives.Subtract(s, m, s);
                        TensorPrimitives.Exp(s, s);
                        float sum = TensorPrimitives.Sum(s);
                        Ops.RoundToBF16(s);
                        for (int p = 0; p < len; p++)
                            TensorPrimitives.MultiplyAdd(V.AsSpan(p * stride + at, hd), s[p], o, o);
                        TensorPrimitives.Divide(o, sum, o);
                    }
                }
            }
        }, workPerItem: Math.Max(1, work / Math.Max(1, items)));
    }
}
