using QuantReason.Kernels;
using QuantReason.Models;
using QuantReason.Tensors;
using QuantReason.Training.Ops;
using QuantReason.Weights;

namespace QuantReason.Training;

/// <summary>
/// A Llama-family decoder (Llama, Qwen2, Qwen3; tied or untied embeddings) with f32 master weights, a forward that keeps
/// what the backward needs, and a backward that accumulates into <see cref="Parameter.Grad"/> of trainable parameters.
/// Loads from and saves to the Hugging Face safetensors layout. Losses live outside (<see cref="CausalLmLoss"/>,
/// <see cref="DpoLoss"/>, <see cref="DistillationLoss"/>): they read the logits and hand back dL/dlogits.
/// </summary>
public sealed class TrainableModel
{
    public ModelConfig Config { get; private set; }
    public Parameter Embed { get; private set; }
    public Parameter FinalNorm { get; }
    public Parameter? LmHead { get; private set; }
    public IReadOnlyList<DecoderLayer> Layers { get; }
    public IReadOnlyList<Parameter> Parameters => _params;
    public IReadOnlyList<TrainableLinear> Linears { get; }
    /// <summary>The LoRA settings of <see cref="AddLora"/>, null without adapters.</summary>
    public LoraOptions? Lora { get; private set; }
    /// <summary>Trainable token rows (PEFT's trainable tokens): ids, their embedding rows [n, hidden] and, untied, their
    /// lm_head rows; the frozen matrices hold them between steps, so everything else reads the matrices as usual.</summary>
    public int[] TokenIds { get; private set; } = [];
    public Parameter? TokenEmbedRows { get; private set; }
    public Parameter? TokenHeadRows { get; private set; }
    /// <summary>Whether embed_tokens (and an untied lm_head) train whole beside the adapters (PEFT's modules_to_save).</summary>
    public bool TrainsVocabularyMatrices { get; private set; }

    readonly List<Parameter> _params;
    Dictionary<int, int> _tokenRow = []; // token id → row of the token parameters

    readonly RopeTable _rope;
    readonly ScratchBuffers _scratch = new();
    int _batch, _seqLen;
    int[] _ids = [];
    float[][] _xs = [];            // [layers+1][tokens, hidden] residual stream
    float[] _nf = [], _rf = [];    // final norm output, rstd
    float[] _logits = [];          // [tokens, vocab]

    /// <param name="frozen">Returns the packed frozen base of a linear (module path, out, in) when the checkpoint holds one.</param>
    TrainableModel(ModelConfig cfg, Func<string, long[], float[]> read, Func<string, int, int, ILinearWeight?>? frozen = null)
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
            var packed = frozen?.Invoke(m, outDim, inDim);
            Parameter weight;
            if (packed is null) weight = P(m + ".weight", outDim, inDim);
            else ps.Add(weight = Parameter.Unloaded(m + ".weight", outDim, inDim));
            var lin = new TrainableLinear(m, weight, bias ? P(m + ".bias", outDim) : null);
            if (packed is not null) lin.FreezeBase(packed);
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
        _params = ps;
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

    /// <summary>
    /// Loads a Hugging Face checkpoint directory (config.json + safetensors), checking every tensor's shape. A quantized
    /// checkpoint (GPTQ, AWQ, RTN/packed, trit-plane: whatever <see cref="CheckpointQuantization"/> reads) keeps each
    /// packed linear as that linear's frozen base (<see cref="TrainableLinear.FrozenBase"/>): QLoRA over the studied model.
    /// </summary>
    public static TrainableModel Load(string dir)
    {
        var cfg = ModelConfig.Load(dir);
        using var ck = Checkpoint.Open(dir);
        var quant = CheckpointQuantization.Load(dir);
        var packedPrefixes = new List<string>();
        var model = new TrainableModel(cfg, (name, shape) => ck.ReadF32(name, shape), quant is null ? null : (module, outDim, inDim) =>
        {
            var w = CheckpointQuantization.LoadLinear(ck, module, outDim, inDim, quant);
            if (w is DenseLinear) return null; // a layer the quantizer left in full precision trains as usual
            packedPrefixes.Add(module + ".");
            return w;
        });
        model.HasPackedBase = packedPrefixes.Count > 0;
        var known = model.Parameters.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        known.UnionWith(ck.Tensors.Select(t => t.Name).Where(n => packedPrefixes.Any(p => n.StartsWith(p, StringComparison.Ordinal))));
        var extra = ck.Tensors.Select(t => t.Name)
            .Where(n => !known.Contains(n) && !n.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal)
                        && !(cfg.TieWordEmbeddings && n == WeightNames.LmHead))
            .OrderBy(n => n, StringComparer.Ordinal).ToList();
        if (extra.Count > 0)
            throw new QuantReasonException($"checkpoint holds {extra.Count} tensor(s) the config does not describe, e.g. '{extra[0]}' " +
                $"(architecture {cfg.Architecture.HfClass}, attention_bias {cfg.AttentionBias})", dir);
        return model;
    }

    /// <summary>A model whose tensors come from <paramref name="read"/> (name, shape) — a quantized checkpoint's dequantized
    /// linears for QAT (<see cref="QatCheckpoint"/>).</summary>
    internal static TrainableModel FromReader(ModelConfig cfg, Func<string, long[], float[]> read) => new(cfg, read);

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

    /// <summary>Bytes of weights, gradients and frozen packed bases the model holds (optimizer state not included).</summary>
    public long StateBytes =>
        Parameters.Concat(Adapters).Sum(p => 4L * (p.Value.Length + (p.Grad?.Length ?? 0)))
        + Linears.Sum(l => l.FrozenBase?.ByteSize ?? 0);

    public IEnumerable<Parameter> Trainable => Parameters.Concat(Adapters).Concat(GridScales).Where(p => p.Trainable);

    /// <summary>The scales of the linears that train on a PTQ grid (learned ones are trainable).</summary>
    public IEnumerable<Parameter> GridScales => Linears.Where(l => l.Grid is not null).Select(l => l.Grid!.Scale);

    /// <summary>What an adapter checkpoint holds beside the frozen base: LoRA pairs and trainable token rows.</summary>
    public IEnumerable<Parameter> Adapters => Linears.Where(l => l.Lora is not null).SelectMany(l => new[] { l.Lora!.A, l.Lora!.B })
        .Concat(new[] { TokenEmbedRows, TokenHeadRows }.OfType<Parameter>());

    /// <summary>Whether <see cref="Load"/> read packed linears from a quantized checkpoint (QLoRA over the studied model):
    /// such a model is saved as an adapter over that checkpoint, never merged. The trainer's own int4 RTN base is not one.</summary>
    public bool HasPackedBase { get; private set; }

    public void ZeroGrad()
    {
        foreach (var p in Parameters.Concat(Adapters).Concat(GridScales)) p.ZeroGrad();
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
        Lora = options;
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

    /// <summary>Folds adapters (and trained token rows) into f32 weights: every parameter trains again afterwards.</summary>
    public void MergeLora()
    {
        foreach (var l in Linears) l.MergeLora();
        ScatterTokenRows();
        TokenIds = []; TokenEmbedRows = null; TokenHeadRows = null; _tokenRow = [];
        TrainsVocabularyMatrices = false;
        foreach (var p in Parameters) p.Trainable = true;
        Lora = null;
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
        ScatterTokenRows();
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
        if (TokenEmbedRows is not null) HeadRowGradients(dlogits, t, (TokenHeadRows ?? TokenEmbedRows).Grad);
        RmsNorm.Backward(_xs[^1], FinalNorm.Value, _rf, dx, t, h, dx, FinalNorm.Grad);
        for (int i = Layers.Count - 1; i >= 0; i--) Layers[i].Backward(dx, dx);
        if (Embed.Grad is not null) Embedding.Backward(_ids, dx, h, Embed.Grad);
        if (TokenEmbedRows?.Grad is { } rowGrad)
            for (int p = 0; p < t; p++)
                if (_tokenRow.TryGetValue(_ids[p], out int r))
                    System.Numerics.Tensors.TensorPrimitives.Add(rowGrad.AsSpan(r * h, h), dx.AsSpan(p * h, h), rowGrad.AsSpan(r * h, h));
    }

    /// <summary>dL/d(head row of token i) = Σ_t dlogits[t, id_i]·nf[t]: only the trained rows' columns, gathered once.</summary>
    void HeadRowGradients(float[] dlogits, int t, float[]? grad)
    {
        if (grad is null) return;
        int n = TokenIds.Length, v = Config.VocabSize, h = Config.HiddenSize;
        var cols = _scratch.Get("model.token-cols", (long)t * n); // [tokens, n]
        for (int p = 0; p < t; p++)
            for (int i = 0; i < n; i++) cols[p * n + i] = dlogits[(long)p * v + TokenIds[i]];
        GemmF32F32.TN(n, h, t, cols, _nf, grad, accumulate: true);
    }

    /// <summary>Writes the trainable token rows into the frozen matrices they stand for.</summary>
    void ScatterTokenRows()
    {
        if (TokenEmbedRows is null) return;
        int h = Config.HiddenSize;
        for (int i = 0; i < TokenIds.Length; i++)
        {
            TokenEmbedRows.Value.AsSpan(i * h, h).CopyTo(Embed.Value.AsSpan(TokenIds[i] * h, h));
            if (TokenHeadRows is not null) TokenHeadRows.Value.AsSpan(i * h, h).CopyTo(LmHead!.Value.AsSpan(TokenIds[i] * h, h));
        }
    }

    /// <summary>
    /// Grows the vocabulary to <paramref name="vocab"/> rows (new tokens added to a pretrained tokenizer): embed_tokens
    /// and an untied lm_head keep their old rows bit for bit, and each new row starts at the mean of the old rows plus a
    /// little seeded noise (as transformers' mean-resizing does, so a new token starts as an average token, not an
    /// outlier; the noise tells the new tokens apart).
    /// </summary>
    public void GrowVocabulary(int vocab, int seed)
    {
        int old = Config.VocabSize, h = Config.HiddenSize;
        if (vocab < old) throw new QuantReasonException($"the vocabulary can only grow: {vocab} < {old}", "new_tokens");
        if (vocab == old) return;
        if ((long)vocab * h > int.MaxValue) throw new QuantReasonException($"vocabulary {vocab} × hidden {h} exceeds 2^31 elements", "new_tokens");
        var rng = new Random(seed);
        Parameter Grown(Parameter p)
        {
            var v = new float[(long)vocab * h]; // [vocab, hidden]
            p.Value.CopyTo(v, 0);
            var mean = new double[h];
            double sq = 0;
            for (int r = 0; r < old; r++)
                for (int j = 0; j < h; j++) { double x = p.Value[r * h + j]; mean[j] += x; sq += x * x; }
            float noise = 0.01f * (float)Math.Sqrt(sq / ((double)old * h));
            for (int r = old; r < vocab; r++)
                for (int j = 0; j < h; j++) v[r * h + j] = (float)(mean[j] / old) + noise * Gaussian(rng);
            var grown = new Parameter(p.Name, v, vocab, h) { Trainable = p.Trainable };
            _params[_params.IndexOf(p)] = grown;
            return grown;
        }
        Embed = Grown(Embed);
        if (LmHead is not null) LmHead = Grown(LmHead);
        Config = Config with { VocabSize = vocab };
    }

    /// <summary>Trains these tokens' embedding (and untied lm_head) rows beside the adapters, every other row frozen
    /// (PEFT's trainable_token_indices).</summary>
    public void TrainTokenRows(IReadOnlyList<int> ids)
    {
        int h = Config.HiddenSize;
        if (ids.Count == 0) return;
        if (ids.Any(i => (uint)i >= (uint)Config.VocabSize) || ids.Distinct().Count() != ids.Count)
            throw new QuantReasonException($"trainable token ids must be distinct and below the vocabulary size {Config.VocabSize}", "new_tokens");
        TokenIds = ids.ToArray();
        _tokenRow = TokenIds.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i);
        float[] Rows(Parameter m) { var r = new float[TokenIds.Length * h]; for (int i = 0; i < TokenIds.Length; i++) m.Value.AsSpan(TokenIds[i] * h, h).CopyTo(r.AsSpan(i * h)); return r; }
        TokenEmbedRows = new Parameter($"{PeftAdapter.EmbedModule}.trainable_tokens", Rows(Embed), TokenIds.Length, h);
        TokenHeadRows = LmHead is null ? null : new Parameter($"{PeftAdapter.HeadModule}.trainable_tokens", Rows(LmHead), TokenIds.Length, h);
    }

    /// <summary>embed_tokens and an untied lm_head train whole beside the adapters (PEFT's modules_to_save).</summary>
    public void TrainVocabularyMatrices()
    {
        Embed.Trainable = true;
        if (LmHead is not null) LmHead.Trainable = true;
        TrainsVocabularyMatrices = true;
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

    /// <summary>The adapters in PEFT's layout: LoRA pairs, trainable token rows, and whole vocabulary matrices when they train.</summary>
    public PeftAdapter ToPeft(string? baseModel)
    {
        var lora = Lora ?? throw new QuantReasonException("the model has no LoRA adapters", "lora");
        ScatterTokenRows();
        var tokens = new Dictionary<string, TokenRows>();
        if (TokenEmbedRows is not null) tokens[PeftAdapter.EmbedModule] = new TokenRows(TokenIds, TokenEmbedRows.Value);
        if (TokenHeadRows is not null) tokens[PeftAdapter.HeadModule] = new TokenRows(TokenIds, TokenHeadRows.Value);
        var saved = new Dictionary<string, float[]>();
        if (TrainsVocabularyMatrices)
        {
            saved[PeftAdapter.EmbedModule] = Embed.Value;
            if (LmHead is not null) saved[PeftAdapter.HeadModule] = LmHead.Value;
        }
        return new PeftAdapter
        {
            Rank = lora.Rank, Alpha = lora.Alpha, TargetModules = lora.Targets, BaseModel = baseModel, Hidden = Config.HiddenSize,
            Lora = Linears.Where(l => l.Lora is not null).ToDictionary(l => l.Module,
                l => new LoraWeights(l.Lora!.A.Value, l.Lora.B.Value, l.Lora.Rank, l.In, l.Out), StringComparer.Ordinal),
            TrainableTokens = tokens, ModulesToSave = saved,
        };
    }

    /// <summary>Writes the adapters as a PEFT adapter folder (adapter_config.json + adapter_model.safetensors).</summary>
    public void SaveAdapters(string dir, string? baseModel = null) => ToPeft(baseModel).Save(dir);

    /// <summary>Reads a PEFT adapter folder written by <see cref="SaveAdapters"/> into the adapters this model already has.</summary>
    public void LoadAdapters(string dir)
    {
        var a = PeftAdapter.Load(dir);
        var where = Path.Combine(dir, PeftAdapter.WeightsFile);
        void Copy(float[] src, Parameter dst, string what)
        {
            if (src.Length != dst.Value.Length)
                throw new QuantReasonException($"{what} holds {src.Length} values, the model's {dst.Name} {dst.Value.Length}", where);
            src.CopyTo(dst.Value, 0);
        }
        foreach (var l in Linears.Where(l => l.Lora is not null))
        {
            if (!a.Lora.TryGetValue(l.Module, out var w)) throw new QuantReasonException($"no adapter for '{l.Module}'", where);
            if (w.Rank != l.Lora!.Rank) throw new QuantReasonException($"rank mismatch on '{l.Module}': the adapter has r = {w.Rank}, the model {l.Lora.Rank}", where);
            Copy(w.A, l.Lora.A, PeftAdapter.LoraAName(l.Module));
            Copy(w.B, l.Lora.B, PeftAdapter.LoraBName(l.Module));
        }
        if (TokenEmbedRows is not null) Copy(a.TrainableTokens.GetValueOrDefault(PeftAdapter.EmbedModule)?.Rows ?? [], TokenEmbedRows, PeftAdapter.TokenRowsName(PeftAdapter.EmbedModule));
        if (TokenHeadRows is not null) Copy(a.TrainableTokens.GetValueOrDefault(PeftAdapter.HeadModule)?.Rows ?? [], TokenHeadRows, PeftAdapter.TokenRowsName(PeftAdapter.HeadModule));
        if (TrainsVocabularyMatrices)
        {
            Copy(a.ModulesToSave.GetValueOrDefault(PeftAdapter.EmbedModule) ?? [], Embed, PeftAdapter.SavedModuleName(PeftAdapter.EmbedModule));
            if (LmHead is not null) Copy(a.ModulesToSave.GetValueOrDefault(PeftAdapter.HeadModule) ?? [], LmHead, PeftAdapter.SavedModuleName(PeftAdapter.HeadModule));
        }
        ScatterTokenRows();
    }
}
