using System.Diagnostics;
using System.Text.Json;
using QuantReason.Models;
using QuantReason.Runtime;
using QuantReason.Tensors;
using QuantReason.Tokenizers;
using QuantReason.Weights;

namespace QuantReason.Quantization.Model;

/// <summary>
/// Quantizes a whole checkpoint layer by layer. Calibration samples are embedded once ([tokens, hidden] per sample,
/// the only activations kept for the whole model); each decoder layer then runs on them through
/// <see cref="Transformer.ForwardLayer"/> with an observer gathering what the method needs, is quantized, written to
/// the work folder, read back from it, and finally run once more to produce the next layer's inputs — so layer i+1
/// is calibrated on the outputs of quantized layer i exactly as the runtime will compute them.
/// <list type="bullet">
/// <item>GPTQ, true-sequential: one Hessian per input group of the architecture's <see cref="LayerWiring"/> (q/k/v, o,
/// gate/up, down), in the order the layer computes them, each gathered with the layer's earlier linears already
/// quantized (a pass stops right after the input it observes).</item>
/// <item>AWQ: the groups' inputs captured from the unquantized layer; per <see cref="ScalingGroups"/> group the
/// scale search; all scales folded (previous RMSNorm or linear, the group's weights) before clipping and quantizing,
/// as AutoAWQ does; q and k are not clipped.</item>
/// <item>SmoothQuant: per-channel |x| maxima of the two RMSNorm-fed inputs, smoothing folded into the norms, W8A8.</item>
/// <item>RTN and PTQTP need no calibration: each linear is quantized on its own.</item>
/// </list>
/// A run interrupted at any point resumes from the finished layers on disk and ends with byte-identical files.
/// </summary>
public sealed class ModelQuantizer
{
    readonly ModelConfig _cfg;
    readonly LayerWiring _wiring;
    readonly ModelWeights _weights;
    readonly Transformer _transformer;
    readonly QuantizeOptions _o;
    readonly Dictionary<string, DType> _dtypes;
    readonly IProgressSink _progress;
    readonly CancellationToken _cancel;
    List<float[]> _x = [];   // per calibration sample [length, hidden]: the current layer's input
    List<int[]> _samples = [];
    KvCache[]? _caches;      // one per sample of a batch

    ModelQuantizer(ModelConfig cfg, ModelWeights weights, QuantizeOptions o, Dictionary<string, DType> dtypes, IProgressSink progress, CancellationToken cancel)
    {
        _cfg = cfg; _wiring = cfg.Architecture.Wiring; _weights = weights; _o = o; _dtypes = dtypes; _progress = progress; _cancel = cancel;
        _transformer = new Transformer(weights);
    }

    /// <summary>Quantizes <paramref name="modelDir"/> into <paramref name="outDir"/>, resuming an interrupted run there.</summary>
    /// <param name="calibration">Calibration samples to use instead of building them from
    /// <see cref="QuantizeOptions.Calibration"/> with the model's tokenizer (benchmarks, callers with their own data).</param>
    public static QuantizeReport Run(string modelDir, string outDir, QuantizeOptions options, IProgressSink? progress = null,
        CancellationToken cancel = default, CalibrationSet? calibration = null)
    {
        var sw = Stopwatch.StartNew();
        progress ??= NullProgress.Instance;
        if (!Directory.Exists(modelDir)) throw new QuantReasonException("model directory not found", modelDir);
        if (Path.GetFullPath(modelDir).TrimEnd('/') == Path.GetFullPath(outDir).TrimEnd('/'))
            throw new QuantReasonException("the output directory must differ from the model directory", outDir);
        var cfg = ModelConfig.Load(modelDir);
        if (CheckpointQuantization.Load(modelDir) is { } q)
            throw new QuantReasonException($"the checkpoint is already quantized ({q.Describe()}); quantize a dense checkpoint", modelDir);
        Preflight(cfg, options);

        // Only the layer being quantized is held: each is read when its turn comes (the checkpoint mapped just for that),
        // and dropped once the next layer's inputs exist. The embedding is never loaded whole; calibration rows are read.
        Dictionary<string, DType> dtypes;
        using (var ck = Checkpoint.Open(modelDir)) dtypes = ck.Tensors.ToDictionary(t => t.Name, t => t.DType);
        var placeholder = DenseLinear.FromF32(new float[cfg.HiddenSize], 1, cfg.HiddenSize);
        var weights = new ModelWeights
        {
            Config = cfg, Embedding = placeholder, Layers = new LayerWeights[cfg.NumLayers], FinalNorm = new float[cfg.HiddenSize], LmHead = placeholder,
        };

        var fingerprint = JsonSerializer.Serialize(new
        {
            model = Path.GetFullPath(modelDir), options,
            samples = calibration is null ? null : Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(
                System.Runtime.InteropServices.MemoryMarshal.AsBytes(calibration.Samples.SelectMany(x => x).ToArray().AsSpan()))),
        });
        var writer = QuantizedModelWriter.Open(outDir, fingerprint);
        var mq = new ModelQuantizer(cfg, weights, options, dtypes, progress, cancel);
        string? calibrationText = options.NeedsCalibration ? mq.PrepareCalibration(modelDir, calibration) : null;
        int resumed = 0;
        long layerStart = Stopwatch.GetTimestamp(); // a layer's time includes the pass that computed its inputs
        mq.TakePassSeconds();
        for (int l = 0; l < cfg.NumLayers; l++)
        {
            cancel.ThrowIfCancellationRequested();
            using (var ck = Checkpoint.Open(modelDir)) weights.Layers[l] = ModelWeights.LoadLayer(ck, cfg, l, null);
            if (writer.IsDone(l))
            {
                progress.Start($"layer {l + 1}/{cfg.NumLayers} (resumed)", 1);
                mq.Reload(l, writer);
                resumed++;
                progress.Advance(1);
            }
            else
            {
                progress.Start($"layer {l + 1}/{cfg.NumLayers}", cfg.Architecture.Wiring.Projections.Count);
                var (tensors, targets, losses) = mq.QuantizeLayer(l);
                writer.WriteLayer(l, tensors);
                tensors.Clear();
                mq.Reload(l, writer);
                var linears = cfg.Architecture.Wiring.Projections.Select(p => new LinearReport(WeightNames.Layer(l, p.Name),
                    RelativeError(targets[p.Id], weights.Layers[l][p.Id].ToF32()), losses.TryGetValue(p.Id, out var loss) ? loss : null)).ToList();
                writer.MarkDone(new LayerReport(l, Stopwatch.GetElapsedTime(layerStart).TotalSeconds, linears, mq.TakePassSeconds()));
            }
            layerStart = Stopwatch.GetTimestamp();
            mq.TakePassSeconds();
            if (options.NeedsCalibration && l < cfg.NumLayers - 1) mq.Pass(l, inPlace: true, null, null, mq._nextPass);
            mq._nextPass = null;
            weights.Layers[l] = null!;
            // Weights live pinned (pinned object heap, huge pages): give the dropped layer's memory back to the OS now.
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            progress.Finish();
        }
        // The calibration activations are done with; assembling holds the output tensors, so drop them first.
        mq = null!;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        writer.Assemble(modelDir, cfg, options, calibrationText);
        long bytes = Directory.EnumerateFiles(outDir).Sum(f => new FileInfo(f).Length);
        var report = new QuantizeReport(Path.GetFullPath(outDir), options, calibrationText, writer.Finished.OrderBy(r => r.Layer).ToList(),
            sw.Elapsed.TotalSeconds, bytes, resumed);
        writer.WriteReport(report);
        return report;
    }

    /// <summary>Every linear against the method, format and layout before anything runs; the first failure names its layer.</summary>
    static void Preflight(ModelConfig cfg, QuantizeOptions o)
    {
        // a supported group size that does not divide a width: say which ones do (other misfits get the format's own error below)
        if (QuantFormat.SupportedGroupSizes.Contains(o.GroupSize)
            && cfg.Architecture.Wiring.Projections.FirstOrDefault(p => o.GroupSize > 0 && p.Shape(cfg).In % o.GroupSize != 0) is { } misfit
            && QuantizeDefaults.ValidGroupSizes(cfg, o) is { Count: > 0 } valid)
            throw new QuantReasonException(
                $"group size {o.GroupSize} does not divide in_features {misfit.Shape(cfg).In}; this model takes --group-size {string.Join(", ", valid)}",
                WeightNames.Layer(0, misfit.Name));
        for (int l = 0; l < cfg.NumLayers; l++)
            foreach (var p in cfg.Architecture.Wiring.Projections)
            {
                var (outF, inF) = p.Shape(cfg);
                o.CheckLinear(WeightNames.Layer(l, p.Name), outF, inF);
            }
        if (o.Calibration is { } c && c.Length > cfg.MaxPositionEmbeddings)
            throw new QuantReasonException($"calibration length {c.Length} exceeds the model's context of {cfg.MaxPositionEmbeddings}; give --calib-len {cfg.MaxPositionEmbeddings} or less", "--calib-len");
        if (o.Calibration is { } c2 && (long)c2.Samples * c2.Length < QuantizeOptions.MinCalibrationTokens)
            throw new QuantReasonException($"too few calibration tokens: {c2.Samples} × {c2.Length} < {QuantizeOptions.MinCalibrationTokens}",
                WeightNames.Layer(0, cfg.Architecture.Wiring.Projections[0].Name));
    }

    /// <summary>A linear's stored tensors read back as <see cref="Reload"/> reads them.</summary>
    ILinearWeight AsStored(List<TensorData> stored, string name, int outFeatures, int inFeatures)
    {
        var dir = Directory.CreateTempSubdirectory("qr-linear-").FullName;
        try
        {
            SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"), stored);
            using var ck = Checkpoint.Open(dir);
            return CheckpointQuantization.LoadLinear(ck, name, outFeatures, inFeatures, QuantizedModelWriter.LayerLayout(_o));
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>Where a pass starts: at group <see cref="At"/> with its kept input, or from x for a norm-fed group.</summary>
    sealed record ResumePoint(InputGroup At, StageInputs? Input);

    /// <summary>Where the pass that makes the next layer's inputs starts (null: at the layer's start).</summary>
    ResumePoint? _nextPass;

    /// <summary>Storage for the input of a group a linear computes (o, down), or null for a norm-fed group, whose input
    /// the next pass recomputes from the residual stream. f32 activations wider than the residual stream (a
    /// down_proj's) are not kept: 2 GB for a 1B model; the pass resumes at the norm-fed group before instead.</summary>
    StageInputs? Keep(InputGroup g, int width)
    {
        if (g.Norm is not null) return null;
        bool bf16 = _transformer.Precision == ActivationPrecision.BF16;
        return bf16 || width <= _cfg.HiddenSize ? new StageInputs(g, _samples.Count, _samples[0].Length, width, bf16) : null;
    }

    /// <summary>Seconds spent in calibration passes (forward + statistics) since the last call.</summary>
    double TakePassSeconds() { var s = _passSeconds; _passSeconds = 0; return s; }
    double _passSeconds;

    string PrepareCalibration(string modelDir, CalibrationSet? given)
    {
        var set = given ?? Calibration.Build(TokenizerLoader.FromDirectory(modelDir), _o.Calibration!);
        if (set.Samples.Count == 0 || set.Samples.Any(s => s.Length != set.Length))
            throw new QuantReasonException($"calibration samples must all have {set.Length} tokens", "calibration");
        if (set.Tokens < QuantizeOptions.MinCalibrationTokens)
            throw new QuantReasonException($"too few calibration tokens: {set.Tokens} < {QuantizeOptions.MinCalibrationTokens}", WeightNames.Layer(0, _wiring.Projections[0].Name));
        foreach (var s in set.Samples)
            foreach (var id in s)
                if ((uint)id >= (uint)_cfg.VocabSize)
                    throw new QuantReasonException($"calibration token id {id} is outside the model's vocabulary of {_cfg.VocabSize}", modelDir);
        _samples = set.Samples.ToList();
        // Embedding rows straight from the mapped checkpoint: only the rows the samples use are touched.
        using var ck = Checkpoint.Open(modelDir);
        var file = ck.FileOf(WeightNames.Embed);
        var info = file.Info(WeightNames.Embed);
        file.CheckShape(info, [_cfg.VocabSize, _cfg.HiddenSize]);
        var table = file.Bytes(WeightNames.Embed);
        int hidden = _cfg.HiddenSize, rowBytes = hidden * info.DType.SizeOf();
        _x = new List<float[]>(_samples.Count);
        foreach (var s in _samples)
        {
            var x = new float[s.Length * hidden]; // [length, hidden]
            for (int t = 0; t < s.Length; t++) DTypes.ToF32(info.DType, table.Slice(s[t] * rowBytes, rowBytes), x.AsSpan(t * hidden, hidden));
            _x.Add(x);
        }
        return set.Description;
    }

    /// <summary>Runs layer <paramref name="layer"/> over all calibration samples in batches of whole samples, either
    /// updating the stored activations (the next layer's inputs) or on scratch copies for an observing pass. With
    /// <paramref name="resume"/> the layer starts at that group (the stored activations are the residual stream as it
    /// stands there, <see cref="ResumePoint.Input"/> the group's input when a linear computes it); <paramref name="keep"/>
    /// receives its group's input as the pass observes it.</summary>
    void Pass(int layer, bool inPlace, LinearInputObserver? observe, InputGroup? stopBefore, ResumePoint? resume = null, StageInputs? keep = null)
    {
        long t0 = Stopwatch.GetTimestamp();
        int len = _samples[0].Length, hidden = _cfg.HiddenSize;
        int b0 = 0; // the batch's first sample, for keep
        if (keep is not null)
        {
            var inner = observe;
            observe = (g, input, tokens) =>
            {
                if (g == keep.Group)
                    for (int i = 0; i < tokens / len; i++) keep.Save(b0 + i, input.Slice(i * len * keep.Width, len * keep.Width));
                inner?.Invoke(g, input, tokens);
            };
        }
        int perBatch = Math.Max(1, _o.BatchTokens / len);
        // Attention scratch, allocated once: a cache holds every layer, and a pass only ever fills layer `layer`.
        _caches ??= Enumerable.Range(0, Math.Min(perBatch, _samples.Count)).Select(_ => _transformer.NewCache(len)).ToArray();
        var caches = _caches;
        for (; b0 < _samples.Count; b0 += perBatch)
        {
            _cancel.ThrowIfCancellationRequested();
            int nb = Math.Min(perBatch, _samples.Count - b0);
            var chunks = Enumerable.Range(0, nb).Select(i => new SequenceChunk(caches[i], _samples[b0 + i])).ToList();
            var xb = new float[nb * len * hidden]; // [nb·len, hidden]
            for (int i = 0; i < nb; i++) _x[b0 + i].CopyTo(xb, i * len * hidden);
            float[]? resumeInput = null;
            if (resume?.Input is { } saved)
            {
                resumeInput = new float[nb * len * saved.Width]; // [nb·len, width]
                for (int i = 0; i < nb; i++) saved.Load(b0 + i, resumeInput.AsSpan(i * len * saved.Width, len * saved.Width));
            }
            _transformer.ForwardLayer(layer, chunks, xb, observe, stopBefore, resume?.At, resumeInput);
            if (inPlace)
                for (int i = 0; i < nb; i++) Array.Copy(xb, i * len * hidden, _x[b0 + i], 0, len * hidden);
            // Each batch leaves ~100 MB of large-object buffers (a 1B layer at 2048 tokens); collecting them per batch
            // costs little against the batch's forward and keeps the working set from drifting up by gigabytes.
            GC.Collect();
        }
        _passSeconds += Stopwatch.GetElapsedTime(t0).TotalSeconds;
    }

    /// <summary>Quantizes one layer in memory: the tensors to store, the weights each linear approximates, method losses.</summary>
    (List<TensorData> Tensors, Dictionary<Projection, float[]> Targets, Dictionary<Projection, double> Losses) QuantizeLayer(int l)
    {
        var L = _weights.Layers[l];
        var tensors = new List<TensorData>();
        var targets = new Dictionary<Projection, float[]>();
        var losses = new Dictionary<Projection, double>();
        string P(Projection p) => WeightNames.Layer(l, WeightNames.Of(p));
        void Done(Projection p)
        {
            // Each linear leaves LOH temporaries (f32 weight, Hessian copies, Cholesky factor); collect them now rather
            // than let the peak working set grow with garbage.
            GC.Collect();
            _cancel.ThrowIfCancellationRequested();
            _progress.Advance(1, WeightNames.Of(p));
        }

        switch (_o.Method)
        {
            case QuantMethod.Rtn:
                foreach (var n in _wiring.Projections.Select(p => p.Id))
                {
                    var w = targets[n] = L[n].ToF32();
                    tensors.AddRange(GptqCheckpoint.Write(P(n), Rtn.Quantize(w, L[n].OutFeatures, L[n].InFeatures, _o.Format(P(n)), P(n)), GptqCheckpointFormat.V2));
                    Done(n);
                }
                break;

            case QuantMethod.Ptqtp:
                foreach (var n in _wiring.Projections.Select(p => p.Id))
                {
                    var w = targets[n] = L[n].ToF32();
                    tensors.AddRange(PackedCheckpoint.WriteTritPlanes(P(n), Ptqtp.Quantize(w, L[n].OutFeatures, L[n].InFeatures, _o.Format(P(n)), layer: P(n))));
                    Done(n);
                }
                break;

            case QuantMethod.Gptq:
                var gopt = new GptqOptions(_o.Bits, _o.GroupSize, _o.Sym, _o.DescAct, PercDamp: (float)_o.DampPercent, MinTokens: QuantizeOptions.MinCalibrationTokens);
                ResumePoint? resume = null;
                foreach (var stage in _wiring.Groups)
                {
                    var h = new Hessian(L[stage.First].InFeatures);
                    // Each stage's pass resumes where the previous one stopped and leaves the stored activations at its
                    // own stage (in place: what it overwrites, no later pass needs), keeping its input when a linear
                    // computes it. Without reuse every pass runs the layer from its start on scratch copies.
                    var keep = _o.ReuseStageInputs ? Keep(stage, L[stage.First].InFeatures) : null;
                    Pass(l, inPlace: _o.ReuseStageInputs, (g, input, tokens) => { if (g == stage) h.Add(input, tokens, layer: P(g.First)); },
                        stopBefore: stage, resume, keep);
                    if (_o.ReuseStageInputs && (stage.Norm is not null || keep is not null)) resume = new ResumePoint(stage, keep);
                    _nextPass = resume;
                    foreach (var n in stage.Projections)
                    {
                        var w = targets[n] = L[n].ToF32();
                        var r = Gptq.Quantize(w, L[n].OutFeatures, L[n].InFeatures, h, gopt, P(n), lastUse: n == stage.Projections[^1]);
                        losses[n] = r.Loss;
                        var stored = GptqCheckpoint.Write(P(n), r.Quantized, GptqCheckpointFormat.V2).ToList();
                        tensors.AddRange(stored);
                        // The next stage observes this layer with the linear already quantized, as true-sequential GPTQ
                        // does, and as stored (fp16 scales): the activations the passes keep then are exactly what the
                        // layer computes once written and read back, so the next layer's inputs can come from them.
                        L[n] = AsStored(stored, P(n), L[n].OutFeatures, L[n].InFeatures);
                        Done(n);
                    }
                }
                break;

            case QuantMethod.Awq:
                QuantizeAwq(l, tensors, targets, Done);
                break;

            case QuantMethod.SmoothQuant:
                QuantizeSmoothQuant(l, tensors, targets, Done);
                break;
        }
        return (tensors, targets, losses);
    }

    void QuantizeAwq(int l, List<TensorData> tensors, Dictionary<Projection, float[]> targets, Action<Projection> done)
    {
        var L = _weights.Layers[l];
        string P(Projection p) => WeightNames.Layer(l, WeightNames.Of(p));
        var opt = new AwqOptions(_o.Bits, _o.GroupSize, ZeroPoint: !_o.Sym, MinTokens: QuantizeOptions.MinCalibrationTokens);
        // Each input group's input, on an evenly strided subset of calibration tokens.
        long total = (long)_samples.Count * _samples[0].Length;
        int stride = (int)Math.Max(1, (total + _o.AwqMaxTokens - 1) / _o.AwqMaxTokens);
        var rows = _wiring.Groups.ToDictionary(g => g, _ => new List<float>());
        var seen = _wiring.Groups.ToDictionary(g => g, _ => 0L);
        Pass(l, inPlace: false, (g, input, tokens) =>
        {
            var list = rows[g];
            int width = input.Length / tokens;
            for (int t = 0; t < tokens; t++)
                if ((seen[g] + t) % stride == 0) list.AddRange(input.Slice(t * width, width));
            seen[g] += tokens;
        }, null);
        var x = rows.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray()); // each [sampled tokens, in]
        int Tokens(InputGroup g) => x[g].Length / L[g.First].InFeatures;

        var ids = _wiring.Projections.Select(p => p.Id).ToList();
        var w = ids.ToDictionary(n => n, n => L[n].ToF32());
        var scales = ids.ToDictionary(n => n, n => Enumerable.Repeat(1f, L[n].InFeatures).ToArray());
        var groups = ScalingGroups.For(_cfg.Architecture.Kind)
            .Where(g => !g.RequiresMatchingShape || L[g.Previous!.Value].OutFeatures == L[g.First].InFeatures).ToList();
        // Every scale is searched on the unscaled layer, then all are folded (AutoAWQ's order).
        var found = groups.Select(g =>
        {
            var (s, _, _) = Awq.SearchScales(g.Projections.Select(n => w[n]).ToList(), g.Projections.Select(n => L[n].OutFeatures).ToList(),
                L[g.First].InFeatures, x[g], Tokens(g), opt, P(g.First));
            return (g, s);
        }).ToList();
        var changed = new Dictionary<string, float[]>();
        foreach (var (g, s) in found)
        {
            if (g.Norm is { } norm)
            {
                ScalingGroups.FoldIntoNorm(L.Norm(norm), s);
                changed[norm + ".weight"] = L.Norm(norm);
            }
            else
            {
                var prev = g.Previous!.Value;
                var bias = L.Bias(prev);
                ScalingGroups.FoldIntoLinear(w[prev], L[prev].OutFeatures, L[prev].InFeatures, bias, s);
                if (bias is not null) changed[WeightNames.Of(prev) + ".bias"] = bias;
            }
            foreach (var n in g.Projections)
            {
                ScalingGroups.ScaleInputs(w[n], L[n].OutFeatures, L[n].InFeatures, s);
                scales[n] = s;
            }
        }
        foreach (var p in _wiring.Projections)
        {
            var n = p.Id;
            targets[n] = (float[])w[n].Clone();
            var g = _wiring.GroupOf(n);
            var o = p.FeedsAttentionScores ? opt with { Clip = false } : opt;
            var qt = Awq.QuantizeScaled(w[n], L[n].OutFeatures, L[n].InFeatures, x[g], Tokens(g), scales[n], o, P(n));
            tensors.AddRange(AwqCheckpoint.Write(P(n), qt));
            done(n);
        }
        AddChanged(l, changed, tensors);
    }

    void QuantizeSmoothQuant(int l, List<TensorData> tensors, Dictionary<Projection, float[]> targets, Action<Projection> done)
    {
        var L = _weights.Layers[l];
        string P(Projection p) => WeightNames.Layer(l, WeightNames.Of(p));
        var groups = ScalingGroups.Smoothed(_cfg.Architecture.Kind).ToList();
        var actMax = groups.ToDictionary(g => g, g => new float[L[g.First].InFeatures]);
        Pass(l, inPlace: false, (g, input, tokens) =>
        {
            if (!actMax.TryGetValue(g, out var m)) return;
            var batch = SmoothQuant.ActivationMax(input, tokens, m.Length);
            System.Numerics.Tensors.TensorPrimitives.Max(m, batch, m);
        }, null);
        var changed = new Dictionary<string, float[]>();
        var quantized = new Dictionary<Projection, W8A8Linear>();
        foreach (var g in groups)
        {
            var ws = g.Projections.Select(n => L[n].ToF32()).ToList();
            var r = SmoothQuant.QuantizeFromMax(ws, g.Projections.Select(n => L[n].OutFeatures).ToList(), L[g.First].InFeatures,
                actMax[g], _o.SmoothQuantAlpha, P(g.First));
            ScalingGroups.FoldIntoNorm(L.Norm(g.Norm!), r.InputScales);
            changed[g.Norm + ".weight"] = L.Norm(g.Norm!);
            for (int i = 0; i < g.Projections.Length; i++)
            {
                var n = g.Projections[i];
                ScalingGroups.ScaleInputs(ws[i], L[n].OutFeatures, L[n].InFeatures, r.InputScales);
                targets[n] = ws[i];
                quantized[n] = r.Layers[i];
            }
        }
        foreach (var n in _wiring.Projections.Select(p => p.Id))
        {
            if (!quantized.TryGetValue(n, out var q))
                q = W8A8Linear.Quantize(targets[n] = L[n].ToF32(), L[n].OutFeatures, L[n].InFeatures, P(n));
            tensors.AddRange(PackedCheckpoint.WriteW8A8(P(n), q));
            done(n);
        }
        AddChanged(l, changed, tensors);
    }

    /// <summary>Norms and biases a method rescaled, stored in the dtype the source checkpoint used for them.</summary>
    void AddChanged(int l, Dictionary<string, float[]> changed, List<TensorData> tensors)
    {
        foreach (var (suffix, values) in changed.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var name = WeightNames.Layer(l, suffix);
            tensors.Add(QuantizedModelWriter.Tensor(name, values, _dtypes.GetValueOrDefault(name, DType.F32)));
        }
    }

    /// <summary>Replaces layer <paramref name="l"/>'s linears, norms and biases with what its folder stores, so every
    /// later computation sees the stored (e.g. fp16-scale, bf16-norm) values, whether the layer was just quantized or resumed.</summary>
    void Reload(int l, QuantizedModelWriter writer)
    {
        var L = _weights.Layers[l];
        var layout = QuantizedModelWriter.LayerLayout(_o);
        using var ck = Checkpoint.Open(writer.LayerDir(l));
        foreach (var p in _wiring.Projections)
        {
            var (outF, inF) = p.Shape(_cfg);
            L[p.Id] = CheckpointQuantization.LoadLinear(ck, WeightNames.Layer(l, p.Name), outF, inF, layout);
        }
        void Copy(string suffix, float[]? dst)
        {
            var name = WeightNames.Layer(l, suffix);
            if (dst is not null && ck.Contains(name)) ck.ReadF32(name, dst.Length).CopyTo(dst, 0);
        }
        Copy("input_layernorm.weight", L.InputNorm);
        Copy("post_attention_layernorm.weight", L.PostAttentionNorm);
        foreach (var p in _wiring.Projections) Copy(p.Name + ".bias", L.Bias(p.Id)); // biases a scale was folded into
    }

    static double RelativeError(float[] w, float[] q)
    {
        double num = 0, den = 0;
        for (int i = 0; i < w.Length; i++) { double d = q[i] - w[i]; num += d * d; den += (double)w[i] * w[i]; }
        return den > 0 ? Math.Sqrt(num / den) : Math.Sqrt(num);
    }
}
