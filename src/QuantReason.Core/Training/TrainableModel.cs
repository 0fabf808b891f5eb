using QuantReason.Kernels;
using QuantReason.Models;
using QuantReason.Tensors;
using QuantReason.Training.Ops;

namespace QuantReason.Training;

/// <summary>
/// A Llama-family decoder (Llama, Qwen2, Qwen3; tied or untied embeddings) with f32 master weights, a forward that keeps
/// what the backward needs, and a backward that accumulates into <see cref="Parameter.Grad"/> of trainable parameters.
/// Loads from and saves to the Hugging Face safetensors layout. Losses live outside (<see cref="CausalLmLoss"/>,
/// <see cref="DpoLoss"/>, <see cref="DistillationLoss"/>): they read the logits and hand back dL/dlogits.
/// </summary>
public sealed class TrainableModel
{
    public ModelConfig Config { get; }
    public Parameter Embed { get; }
    public Parameter FinalNorm { get; }
    public Parameter? LmHead { get; }
    public IReadOnlyList<DecoderLayer> Layers { get; }
    public IReadOnlyList<Parameter> Parameters { get; }
    public IReadOnlyList<TrainableLinear> Linears { get; }

    readonly RopeTable _rope;
    readonly ScratchBuffers _scratch = new();
    int _batch, _seqLen;
    int[] _ids = [];
    float[][] _xs = [];            // [layers+1][tokens, hidden] residual stream
    float[] _nf = [], _rf = [];    // final norm output, rstd
    float[] _logits = [];          // [tokens, vocab]

    TrainableModel(ModelConfig cfg, Func<string, long[], float[]> read)
    {
        Config = cfg;
        CheckShapes(cfg);
        _rope = new RopeTable(cfg.Rope, cfg.HeadDim, Math.Min(cfg.MaxPositionEmbeddings, 128));
        var ps = new List<Parameter>();
        var linears = new List<TrainableLinear>();
        Parameter P(string name, params long[] shape) { var p = new Parameter(name, read(name, shape), shape); ps.Add(p); return p; }
        var wiring = cfg.Architecture.Wiring;
        TrainableLinear L(int layer, Projection p, bool bias)
        {
            string m = WeightNames.Layer(layer, wiring[p].Name);
            var (outDim, inDim) = wiring[p].Shape(cfg);
            var lin = new TrainableLinear(m, P(m + ".weight", outDim, inDim), bias ? P(m + ".bias", outDim) : null);
            linears.Add(lin);
            return lin;
        }
        long h = cfg.HiddenSize;
        Embed = P(WeightNames.Embed, cfg.VocabSize, h);
        var layers = new List<DecoderLayer>();
        bool qkvBias = cfg.AttentionBias;
        for (int i = 0; i < cfg.NumLayers; i++)
        {
            var inNorm = P(WeightNames.Layer(i, "input_layernorm.weight"), h);
            var q = L(i, Projection.Q, qkvBias);
            var k = L(i, Projection.K, qkvBias);
            var v = L(i, Projection.V, qkvBias);
            var o = L(i, Projection.O, false);
            Parameter? qn = null, kn = null;
            if (cfg.Architecture.QkNorm)
            {
                qn = P(WeightNames.Layer(i, "self_attn.q_norm.weight"), cfg.HeadDim);
                kn = P(WeightNames.Layer(i, "self_attn.k_norm.weight"), cfg.HeadDim);
            }
            var postNorm = P(WeightNames.Layer(i, "post_attention_layernorm.weight"), h);
            var gate = L(i, Projection.Gate, cfg.MlpBias);
            var up = L(i, Projection.Up, cfg.MlpBias);
            var down = L(i, Projection.Down, cfg.MlpBias);
            layers.Add(new DecoderLayer(cfg, inNorm, postNorm, new AttentionBlock(cfg, _rope, q, k, v, o, qn, kn, _scratch), gate, up, down, _scratch));
        }
        FinalNorm = P(WeightNames.FinalNorm, h);
        if (!cfg.TieWordEmbeddings) LmHead = P(WeightNames.LmHead, cfg.VocabSize, h);
        Layers = layers;
        Parameters = ps;
        Linears = linears;
    }

    /// <summary>Shapes the trainer cannot build, caught once here with the setting that is wrong.</summary>
    static void CheckShapes(ModelConfig cfg)
    {
        const string where = "config.json";
        if (cfg.HiddenSize <= 0 || cfg.IntermediateSize <= 0 || cfg.NumLayers <= 0 || cfg.VocabSize <= 0 || cfg.HeadDim <= 0)
            throw new QuantReasonException("hidden_size, intermediate_size, num_hidden_layers, vocab_size and head_dim must be positive", where);
        if (cfg.NumHeads <= 0 || cfg.NumKvHeads <= 0 || cfg.NumHeads % cfg.NumKvHeads != 0)
            throw new QuantReasonException($"num_attention_heads {cfg.NumHeads} must be a positive multiple of num_key_value_heads {cfg.NumKvHeads}", where);
        if (cfg.HeadDim % 2 != 0) throw new QuantReasonException($"head_dim {cfg.HeadDim} must be even for rotary embeddings", where);
        if (cfg.MaxPositionEmbeddings <= 0) throw new QuantReasonException("max_position_embeddings must be positive", where);
        if ((long)cfg.VocabSize * cfg.HiddenSize > int.MaxValue || (long)cfg.HiddenSize * cfg.IntermediateSize > int.MaxValue)
            throw new QuantReasonException("a weight matrix exceeds 2^31 elements, too large for the f32 trainer", where);
    }

    /// <summary>Loads a Hugging Face checkpoint directory (config.json + safetensors), checking every tensor's shape.</summary>
    public static TrainableModel Load(string dir)
    {
        var cfg = ModelConfig.Load(dir);
        using var ck = Checkpoint.Open(dir);
        var model = new TrainableModel(cfg, (name, shape) => ck.ReadF32(name, shape));
        var known = model.Parameters.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var extra = ck.Tensors.Select(t => t.Name)
            .Where(n => !known.Contains(n) && !n.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal)
                        && !(cfg.TieWordEmbeddings && n == WeightNames.LmHead))
            .OrderBy(n => n, StringComparer.Ordinal).ToList();
        if (extra.Count > 0)
            throw new QuantReasonException($"checkpoint holds {extra.Count} tensor(s) the config does not describe, e.g. '{extra[0]}' " +
                $"(architecture {cfg.Architecture.HfClass}, attention_bias {cfg.AttentionBias})", dir);
        return model;
    }

    /// <summary>A freshly initialised model: weights ~ N(0, initStd²) from a seeded generator, norms 1, biases 0.</summary>
    public static TrainableModel Create(ModelConfig cfg, int seed, float initStd = 0.02f)
    {
        var rng = new Random(seed);
        return new TrainableModel(cfg, (name, shape) =>
        {
            var v = new float[shape.Aggregate(1L, (a, b) => a * b)];
            if (name.EndsWith("norm.weight", StringComparison.Ordinal)) Array.Fill(v, 1f);
            else if (!name.EndsWith(".bias", StringComparison.Ordinal))
                for (int i = 0; i < v.Length; i++) v[i] = initStd * Gaussian(rng);
            return v;
        });
    }

    static float Gaussian(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }

    /// <summary>Bytes of weights, gradients and frozen int4 bases the model holds (optimizer state not included).</summary>
    public long StateBytes =>
        Parameters.Concat(Adapters).Sum(p => 4L * (p.Value.Length + (p.Grad?.Length ?? 0)))
        + Linears.Sum(l => l.FrozenBase is { } b ? b.Packed.Length + 4L * b.Scales.Length : 0);

    public IEnumerable<Parameter> Trainable => Parameters.Concat(Adapters).Where(p => p.Trainable);

    public IEnumerable<Parameter> Adapters => Linears.Where(l => l.Lora is not null).SelectMany(l => new[] { l.Lora!.A, l.Lora!.B });

    public void ZeroGrad()
    {
        foreach (var p in Parameters.Concat(Adapters)) p.ZeroGrad();
    }

    /// <summary>Adds LoRA adapters to the matching linears and freezes every other parameter.</summary>
    public void AddLora(LoraOptions options)
    {
        options.Validate();
        var rng = new Random(options.Seed);
        int added = 0;
        foreach (var l in Linears)
            if (options.Matches(l.Module))
            {
                l.Lora = new LoraAdapter(l.Module, l.In, l.Out, options.Rank, options.Scale, rng);
                added++;
            }
        if (added == 0) throw new QuantReasonException($"no linear matches the LoRA targets {string.Join(", ", options.Targets)}", "lora");
        foreach (var p in Parameters) p.Trainable = false;
    }

    /// <summary>Enables or disables every adapter (disabled = the frozen base, DPO's reference model).</summary>
    public void SetLoraEnabled(bool enabled)
    {
        foreach (var l in Linears) l.LoraEnabled = enabled;
    }

    /// <summary>QLoRA: every linear's frozen base becomes int4 RTN with the given group size.</summary>
    public void QuantizeBase(int groupSize)
    {
        if (groupSize <= 0) throw new QuantReasonException($"group size must be positive, got {groupSize}", "qlora");
        foreach (var l in Linears) l.QuantizeBase(groupSize);
    }

    /// <summary>Quantization-aware training: every decoder linear's forward uses fake-quantized weights (null turns it off).</summary>
    public void SetFakeQuant(FakeQuantOptions? options)
    {
        options?.Validate();
        foreach (var l in Linears) l.FakeQuant = options;
    }

    /// <summary>
    /// Quantization-aware training of activations: every decoder linear's input per token (<paramref name="activations"/>)
    /// and the keys and values per token, head and group (<paramref name="kvCache"/>), as the runtime runs them
    /// (<see cref="Runtime.Transformer.UseSchemes"/>). A scheme whose groups do not tile a layer's input or a head is one
    /// error naming the layer. Null turns either off.
    /// </summary>
    public void SetActivationQuant(Weights.ActivationScheme? activations, Weights.ActivationScheme? kvCache)
    {
        activations?.Validated("activations");
        if (activations is not null)
            foreach (var l in Linears) activations.CheckWidth(l.In, l.Module);
        var kv = kvCache?.Validated("kv_cache").ForHeads(Config.HeadDim, "kv_cache");
        foreach (var l in Linears) l.InputQuant = activations;
        foreach (var l in Layers) l.Attention.KvQuant = kv;
    }

    public void MergeLora()
    {
        foreach (var l in Linears) l.MergeLora();
        foreach (var p in Parameters) p.Trainable = true;
    }

    /// <summary>Logits [batch·seqLen, vocab] for ids [batch, seqLen]; the buffer is reused by the next forward.</summary>
    public float[] Forward(int[] ids, int batch, int seqLen)
    {
        if (ids.Length != batch * seqLen) throw new QuantReasonException($"{ids.Length} ids do not form [{batch}, {seqLen}]", "batch");
        if (seqLen > Config.MaxPositionEmbeddings)
            throw new QuantReasonException($"sequence length {seqLen} exceeds max_position_embeddings {Config.MaxPositionEmbeddings}", "batch");
        _rope.Ensure(seqLen);
        int t = batch * seqLen, h = Config.HiddenSize, v = Config.VocabSize;
        _batch = batch; _seqLen = seqLen; _ids = ids;
        if (_xs.Length != Layers.Count + 1) _xs = new float[Layers.Count + 1][];
        for (int i = 0; i < _xs.Length; i++) if (_xs[i] is null || _xs[i].Length < t * h) _xs[i] = new float[t * h];
        if (_nf.Length < t * h) { _nf = new float[t * h]; _rf = new float[t]; }
        if (_logits.Length != t * v) _logits = new float[t * v];
        Embedding.Forward(ids, Embed.Value, h, _xs[0]);
        for (int i = 0; i < Layers.Count; i++) Layers[i].Forward(_xs[i], batch, seqLen, _xs[i + 1]);
        RmsNorm.Forward(_xs[^1], FinalNorm.Value, t, h, (float)Config.RmsNormEps, _nf, _rf);
        GemmF32F32.NT(t, v, h, _nf, (LmHead ?? Embed).Value, _logits);
        return _logits;
    }

    /// <summary>Back-propagates dL/dlogits [tokens, vocab] of the last forward into the trainable parameters' gradients.</summary>
    public void Backward(float[] dlogits)
    {
        int t = _batch * _seqLen, h = Config.HiddenSize, v = Config.VocabSize;
        var head = LmHead ?? Embed;
        var dx = _scratch.Get("model.dx", (long)t * h);
        GemmF32F32.NN(t, h, v, dlogits, head.Value, dx);
        if (head.Grad is not null) GemmF32F32.TN(v, h, t, dlogits, _nf, head.Grad, accumulate: true);
        RmsNorm.Backward(_xs[^1], FinalNorm.Value, _rf, dx, t, h, dx, FinalNorm.Grad);
        for (int i = Layers.Count - 1; i >= 0; i--) Layers[i].Backward(dx, dx);
        if (Embed.Grad is not null) Embedding.Backward(_ids, dx, h, Embed.Grad);
    }

    /// <summary>Writes model.safetensors (f32, Hugging Face names; the tied head is not duplicated) and config.json.</summary>
    public void Save(string dir)
    {
        if (Linears.Any(l => l.Lora is not null || l.FrozenBase is not null))
            throw new QuantReasonException("merge or save the LoRA adapters first (MergeLora / SaveAdapters)", dir);
        Directory.CreateDirectory(dir);
        SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"),
            Parameters.Select(p => TensorData.F32(p.Name, p.Value, p.Shape)), new Dictionary<string, string> { ["format"] = "pt" });
        HfConfigJson.Write(Config, Path.Combine(dir, "config.json"));
    }

    /// <summary>Reads adapters written by <see cref="SaveAdapters"/> into the adapters this model already has.</summary>
    public void LoadAdapters(string path)
    {
        using var f = SafeTensorsFile.Open(path);
        foreach (var l in Linears.Where(l => l.Lora is not null))
        {
            f.ReadF32($"base_model.model.{l.Module}.lora_A.weight", l.Lora!.A.Shape).CopyTo(l.Lora.A.Value, 0);
            f.ReadF32($"base_model.model.{l.Module}.lora_B.weight", l.Lora.B.Shape).CopyTo(l.Lora.B.Value, 0);
        }
    }

    /// <summary>Writes the adapters in PEFT's naming (base_model.model.&lt;module&gt;.lora_A.weight).</summary>
    public void SaveAdapters(string path)
    {
        var tensors = Linears.Where(l => l.Lora is not null).SelectMany(l => new[]
        {
            TensorData.F32($"base_model.model.{l.Module}.lora_A.weight", l.Lora!.A.Value, l.Lora.A.Shape),
            TensorData.F32($"base_model.model.{l.Module}.lora_B.weight", l.Lora.B.Value, l.Lora.B.Shape),
        });
        SafeTensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });
    }
}
