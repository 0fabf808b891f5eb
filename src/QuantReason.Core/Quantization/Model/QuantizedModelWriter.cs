using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using QuantReason.Models;
using QuantReason.Tensors;
using QuantReason.Weights;

namespace QuantReason.Quantization.Model;

/// <summary>One quantized linear's figures: ‖Ŵ − W‖/‖W‖ against the weight it quantized (after AWQ/SmoothQuant scaling),
/// and the method's own loss where it has one (GPTQ's Σ(w − q)²/(2·Hinv_ii²)).</summary>
public sealed record LinearReport(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("relative_error")] double RelativeError,
    [property: JsonPropertyName("loss")] double? Loss = null);

/// <summary>One layer: wall seconds in all (including the pass that computed its inputs from the previous quantized
/// layer), of which <see cref="CalibrationSeconds"/> in calibration passes (layer forwards over the calibration samples
/// with Hessian / statistics gathering); the rest is the quantizer itself and the layer's I/O.</summary>
public sealed record LayerReport(
    [property: JsonPropertyName("layer")] int Layer,
    [property: JsonPropertyName("seconds")] double Seconds,
    [property: JsonPropertyName("linears")] IReadOnlyList<LinearReport> Linears,
    [property: JsonPropertyName("calibration_seconds")] double CalibrationSeconds = 0);

/// <summary>What <see cref="ModelQuantizer.Run"/> did: per-layer figures, total time, size on disk, layers resumed.</summary>
public sealed record QuantizeReport(
    [property: JsonPropertyName("out")] string OutDir,
    [property: JsonPropertyName("options")] QuantizeOptions Options,
    [property: JsonPropertyName("calibration")] string? Calibration,
    [property: JsonPropertyName("layers")] IReadOnlyList<LayerReport> Layers,
    [property: JsonPropertyName("seconds")] double Seconds,
    [property: JsonPropertyName("bytes_on_disk")] long BytesOnDisk,
    [property: JsonPropertyName("resumed_layers")] int ResumedLayers);

/// <summary>
/// The on-disk side of a model quantization. While it runs, <c>OUT/.quantize/</c> holds <c>progress.json</c> (the
/// settings' fingerprint and each finished layer's report) and one checkpoint folder per finished layer with that
/// layer's tensors in their final names; a layer counts as finished only once its folder is complete and progress.json
/// (written atomically) lists it. At the end <see cref="Assemble"/> writes the model: the source's unchanged tensors
/// byte for byte, the layers' tensors, config.json with <c>quantization_config</c> (and quantize_config.json for GPTQ),
/// the tokenizer and generation files; then the work folder is removed.
/// </summary>
public sealed class QuantizedModelWriter
{
    sealed record Progress(
        [property: JsonPropertyName("fingerprint")] string Fingerprint,
        [property: JsonPropertyName("layers")] List<LayerReport> Layers);

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>Files copied from the source directory besides the weights and config.json.</summary>
    static readonly string[] SideFiles =
    [
        "generation_config.json", "tokenizer.json", "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json",
        "added_tokens.json", "vocab.json", "merges.txt", "chat_template.jinja", "chat_template.json", Models.ModelDefaults.FileName,
    ];

    public string OutDir { get; }
    /// <summary>Activation and KV-cache schemes the model runs with (a W4A4KV4 QAT export), written into quantization_config.</summary>
    public ActivationScheme? Activations { get; set; }
    public ActivationScheme? KvCache { get; set; }
    public string WorkDir => Path.Combine(OutDir, ".quantize");
    readonly Progress _progress;
    string ProgressPath => Path.Combine(WorkDir, "progress.json");

    public IReadOnlyList<LayerReport> Finished => _progress.Layers;

    QuantizedModelWriter(string outDir, Progress progress) { OutDir = outDir; _progress = progress; }

    /// <summary>Opens the work folder of <paramref name="outDir"/>, resuming when its fingerprint matches.</summary>
    public static QuantizedModelWriter Open(string outDir, string fingerprint)
    {
        var w = new QuantizedModelWriter(outDir, new Progress(fingerprint, []));
        if (File.Exists(w.ProgressPath))
        {
            Progress? p;
            try { p = JsonSerializer.Deserialize<Progress>(File.ReadAllText(w.ProgressPath)); }
            catch (JsonException e) { throw new QuantReasonException($"corrupt progress file ({e.Message}); delete {w.WorkDir} to start over", w.ProgressPath); }
            if (p is null || p.Fingerprint != fingerprint)
                throw new QuantReasonException($"holds an unfinished quantization with other settings or another model; use another --out or delete {w.WorkDir}", w.ProgressPath);
            return new QuantizedModelWriter(outDir, p);
        }
        Directory.CreateDirectory(w.WorkDir);
        w.Save();
        return w;
    }

    public bool IsDone(int layer) => _progress.Layers.Any(l => l.Layer == layer);

    public string LayerDir(int layer) => Path.Combine(WorkDir, $"layer-{layer:D4}");

    /// <summary>Writes a layer's tensors into its folder; it counts as finished only after <see cref="MarkDone"/>.</summary>
    public void WriteLayer(int layer, IEnumerable<TensorData> tensors) =>
        SafeTensorsWriter.Write(Path.Combine(LayerDir(layer), "model.safetensors"), tensors, PtMetadata);

    /// <summary>Records a written layer as finished (progress.json is replaced atomically).</summary>
    public void MarkDone(LayerReport report)
    {
        _progress.Layers.RemoveAll(l => l.Layer == report.Layer);
        _progress.Layers.Add(report);
        Save();
    }

    void Save()
    {
        var tmp = ProgressPath + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(_progress, Json));
        File.Move(tmp, ProgressPath, overwrite: true);
    }

    static readonly Dictionary<string, string> PtMetadata = new() { ["format"] = "pt" };

    /// <summary>A tensor in a given dtype (norms and biases keep the dtype the source stored them in).</summary>
    public static TensorData Tensor(string name, float[] values, DType dtype) => dtype switch
    {
        DType.BF16 => TensorData.BF16(name, values, values.Length),
        DType.F16 => TensorData.F16(name, values, values.Length),
        _ => TensorData.F32(name, values, values.Length),
    };

    /// <summary>How the layer folders store their linears (GPTQ zeros in the v2 convention, which holds every zero).</summary>
    public static CheckpointQuantization LayerLayout(QuantizeOptions o) => o.Method switch
    {
        QuantMethod.Rtn or QuantMethod.Gptq => new(CheckpointQuantMethod.Gptq, Gptq: GptqConfigOf(o, "gptq_v2")),
        QuantMethod.Awq => new(CheckpointQuantMethod.Awq, Awq: new AwqConfig(o.Bits, o.GroupSize, ZeroPoint: !o.Sym)),
        QuantMethod.SmoothQuant => new(CheckpointQuantMethod.W8A8, Packed: PackedQuantConfig.W8A8(o.SmoothQuantAlpha)),
        _ => new(CheckpointQuantMethod.Ptqtp, Packed: PackedQuantConfig.Ptqtp(o.GroupSize)),
    };

    static GptqConfig GptqConfigOf(QuantizeOptions o, string checkpointFormat) =>
        new(o.Bits, o.GroupSize, o.DescAct, o.Sym, DampPercent: o.DampPercent, CheckpointFormat: checkpointFormat);

    /// <summary>Writes the finished model into <see cref="OutDir"/> and removes the work folder.</summary>
    public void Assemble(string modelDir, ModelConfig cfg, QuantizeOptions o, string? calibration)
    {
        var layout = LayerLayout(o);
        var layerCks = Enumerable.Range(0, cfg.NumLayers).Select(l => Checkpoint.Open(LayerDir(l))).ToList();
        try
        {
            using var src = Checkpoint.Open(modelDir);
            // GPTQ: the v1 convention ("zero − 1", what transformers and vLLM read) unless some zero point is 0.
            var gptqFormat = GptqCheckpointFormat.V1;
            if (layout.Method == CheckpointQuantMethod.Gptq)
                foreach (var (ck, l) in layerCks.Select((c, l) => (c, l)))
                    foreach (var lin in cfg.Architecture.Wiring.Projections)
                    {
                        var prefix = WeightNames.Layer(l, lin.Name);
                        if (GptqCheckpoint.Read(ck.FileOf(prefix + ".qweight"), prefix, layout.Gptq!).Zeros.Any(z => z == 0)) gptqFormat = GptqCheckpointFormat.V2;
                    }

            var tensors = new List<TensorData>();
            var fromLayers = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (ck, l) in layerCks.Select((c, l) => (c, l)))
            {
                var names = ck.Tensors.Select(t => t.Name).ToList();
                fromLayers.UnionWith(names);
                if (layout.Method == CheckpointQuantMethod.Gptq)
                    foreach (var lin in cfg.Architecture.Wiring.Projections)
                    {
                        var prefix = WeightNames.Layer(l, lin.Name);
                        tensors.AddRange(GptqCheckpoint.Write(prefix, GptqCheckpoint.Read(ck.FileOf(prefix + ".qweight"), prefix, layout.Gptq!), gptqFormat));
                        names.RemoveAll(n => n.StartsWith(prefix + ".", StringComparison.Ordinal));
                    }
                tensors.AddRange(names.Select(n => Raw(ck, n)));
                foreach (var lin in cfg.Architecture.Wiring.Projections) fromLayers.Add(WeightNames.Layer(l, lin.Name) + ".weight");
            }
            tensors.AddRange(src.Tensors.Where(t => !fromLayers.Contains(t.Name)).Select(t => Raw(src, t.Name)));
            SafeTensorsWriter.Write(Path.Combine(OutDir, "model.safetensors"), tensors, PtMetadata);

            var config = JsonNode.Parse(File.ReadAllText(Path.Combine(modelDir, "config.json")))!.AsObject();
            var meta = new JsonObject { ["quantizer"] = "quantreason", ["method"] = o.Method.ToString().ToLowerInvariant() };
            if (calibration is not null) meta["calibration"] = calibration;
            JsonObject qc;
            switch (layout.Method)
            {
                case CheckpointQuantMethod.Gptq:
                    var g = GptqConfigOf(o, gptqFormat == GptqCheckpointFormat.V1 ? "gptq" : "gptq_v2");
                    File.WriteAllText(Path.Combine(OutDir, "quantize_config.json"), g.ToJson());
                    qc = JsonSerializer.SerializeToNode(g)!.AsObject();
                    break;
                case CheckpointQuantMethod.Awq:
                    // transformers' keys; CheckpointQuantization also reads AutoAWQ's w_bit / q_group_size.
                    qc = new JsonObject
                    {
                        ["quant_method"] = "awq", ["bits"] = o.Bits, ["group_size"] = o.GroupSize, ["zero_point"] = !o.Sym, ["version"] = "gemm",
                    };
                    break;
                default:
                    qc = JsonSerializer.SerializeToNode(layout.Packed!, Json)!.AsObject();
                    break;
            }
            ActivationScheme.Record(qc, Activations, KvCache);
            qc["meta"] = meta;
            config["quantization_config"] = qc;
            File.WriteAllText(Path.Combine(OutDir, "config.json"), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            foreach (var f in SideFiles)
            {
                var p = Path.Combine(modelDir, f);
                // Bytes, not File.Copy: a read-only source file's mode would make the next run's overwrite fail.
                if (File.Exists(p)) File.WriteAllBytes(Path.Combine(OutDir, f), File.ReadAllBytes(p));
            }
        }
        finally
        {
            foreach (var ck in layerCks) ck.Dispose();
        }
        Directory.Delete(WorkDir, recursive: true);
    }

    static TensorData Raw(Checkpoint ck, string name)
    {
        var t = ck.Info(name);
        return new TensorData(name, t.DType, t.Shape, ck.FileOf(name).Bytes(name).ToArray());
    }

    public void WriteReport(QuantizeReport report) =>
        File.WriteAllText(Path.Combine(OutDir, "quantization_report.json"), JsonSerializer.Serialize(report, Json));
}
