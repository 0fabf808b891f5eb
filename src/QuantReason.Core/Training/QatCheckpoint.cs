using System.Text.Json;
using System.Text.Json.Nodes;
using QuantReason.Models;
using QuantReason.Tensors;
using QuantReason.Weights;

namespace QuantReason.Training;

/// <summary>
/// Quantization-aware training from and to packed checkpoints. <see cref="LoadInit"/> starts the student from a GPTQ,
/// AWQ or RTN (GPTQ layout) checkpoint: every quantized linear's master weight is its dequantized weight and its forward
/// runs on the checkpoint's grid (<see cref="QuantGrid"/>: scales, zeros, group size, g_idx). <see cref="Export"/> writes
/// the trained model back in the same layout on the training grid — codes of the master weight, the fp16 scales the
/// forward used — so the runtime loads it with no second quantization and computes what the training forward computed.
/// A model trained with plain fake quantization (<see cref="FakeQuantizer"/>, no init) exports as symmetric GPTQ.
/// </summary>
public static class QatCheckpoint
{
    public const string GridFile = "qat_grid.safetensors";

    /// <summary>The student for QAT from a quantized checkpoint, checked against the model it must match (the teacher or
    /// base model) when one is given.</summary>
    public static TrainableModel LoadInit(string dir, bool learnScales, ModelConfig? expected = null, string? expectedDir = null)
    {
        if (!Directory.Exists(dir)) throw new QuantReasonException("init checkpoint not found", dir);
        var quant = CheckpointQuantization.Load(dir)
            ?? throw new QuantReasonException("init is a dense checkpoint: give a GPTQ, AWQ or RTN checkpoint (`quantreason quantize`), or use base_model", dir);
        if (quant.Method is not (CheckpointQuantMethod.Gptq or CheckpointQuantMethod.Awq))
            throw new QuantReasonException($"init checkpoint is {quant.Describe()}; QAT starts from an integer grid (GPTQ, AWQ or RTN)", dir);
        var cfg = ModelConfig.Load(dir);
        if (expected is not null) CheckMatches(cfg, dir, expected, expectedDir ?? "the model");
        using var ck = Checkpoint.Open(dir);
        var tensors = new Dictionary<string, QuantizedTensor>(StringComparer.Ordinal);
        var model = TrainableModel.FromReader(cfg, (name, shape) =>
        {
            var prefix = name.EndsWith(".weight", StringComparison.Ordinal) ? name[..^".weight".Length] : null;
            if (prefix is null || !ck.Contains(prefix + ".qweight")) return ck.ReadF32(name, shape);
            var file = ck.FileOf(prefix + ".qweight");
            var t = quant.Method == CheckpointQuantMethod.Gptq ? GptqCheckpoint.Read(file, prefix, quant.Gptq!) : AwqCheckpoint.Read(file, prefix, quant.Awq!);
            if (t.OutFeatures != shape[0] || t.InFeatures != shape[1])
                throw new QuantReasonException($"quantized weight is [{t.OutFeatures}, {t.InFeatures}], the configuration needs [{shape[0]}, {shape[1]}]", $"{dir}: {prefix}");
            tensors[prefix] = t;
            return t.Dequantize();
        });
        foreach (var l in model.Linears)
            if (tensors.TryGetValue(l.Module, out var t)) l.Grid = QuantGrid.From(t, l.Module, learnScales);
        if (tensors.Count == 0) throw new QuantReasonException("init checkpoint has no quantized linear (no .qweight tensor)", dir);
        return model;
    }

    /// <summary>One error naming the first setting in which an init checkpoint differs from the model it should match.</summary>
    public static void CheckMatches(ModelConfig init, string initDir, ModelConfig model, string modelDir)
    {
        (string Key, long A, long B)[] keys =
        [
            ("hidden_size", init.HiddenSize, model.HiddenSize), ("num_hidden_layers", init.NumLayers, model.NumLayers),
            ("intermediate_size", init.IntermediateSize, model.IntermediateSize), ("num_attention_heads", init.NumHeads, model.NumHeads),
            ("num_key_value_heads", init.NumKvHeads, model.NumKvHeads), ("head_dim", init.HeadDim, model.HeadDim),
            ("vocab_size", init.VocabSize, model.VocabSize),
        ];
        foreach (var (key, a, b) in keys)
            if (a != b) throw new QuantReasonException($"init checkpoint does not match the model: {key} {a} vs {b} in {modelDir}", initDir);
        if (init.Architecture.Kind != model.Architecture.Kind)
            throw new QuantReasonException($"init checkpoint is {init.Architecture.HfClass}, the model {model.Architecture.HfClass} ({modelDir})", initDir);
    }

    /// <summary>
    /// Writes the fake-quantized model as a packed checkpoint into <paramref name="outDir"/> (model.safetensors and
    /// config.json with its quantization_config; meta.method "qat"): the init's layout (GPTQ or AWQ) for grid linears,
    /// symmetric GPTQ for plain fake quantization. Tokenizer and generation files are the caller's.
    /// </summary>
    public static CheckpointQuantization Export(TrainableModel model, string outDir, CheckpointQuantization? initLayout, JsonObject? meta = null)
    {
        var grids = model.Linears.Where(l => l.Grid is not null).ToList();
        var fakes = model.Linears.Where(l => l.Grid is null && l.FakeQuant is not null).ToList();
        if (grids.Count + fakes.Count != model.Linears.Count || grids.Count > 0 && fakes.Count > 0)
            throw new QuantReasonException("export needs every linear fake-quantized on one kind of grid (all from the init, or all plain)", outDir);
        var quantized = model.Linears.ToDictionary(l => l.Module, l => l.Grid is { } g
            ? g.Export(l.Weight.Value, l.Module)
            : FakeQuantizer.ToQuantizedTensor(FakeQuantizer.Quantize(l.Weight.Value, l.Out, l.In, l.FakeQuant!), l.FakeQuant!.Bits, l.Module));
        var first = quantized.Values.First().Format;
        CheckpointQuantization layout;
        if (initLayout?.Method == CheckpointQuantMethod.Awq)
            layout = initLayout;
        else
        {
            var zeros = quantized.Values.Any(t => t.Zeros.Any(z => z == 0)) ? "gptq_v2" : "gptq";
            var g = initLayout?.Gptq ?? new GptqConfig(first.Bits, first.GroupSize, Sym: first.Symmetric);
            layout = new CheckpointQuantization(CheckpointQuantMethod.Gptq, Gptq: g with { CheckpointFormat = zeros });
        }
        var tensors = new List<TensorData>();
        var linearWeights = model.Linears.Select(l => l.Weight.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var l in model.Linears)
            tensors.AddRange(layout.Method == CheckpointQuantMethod.Awq
                ? AwqCheckpoint.Write(l.Module, quantized[l.Module])
                : GptqCheckpoint.Write(l.Module, quantized[l.Module], layout.Gptq!.Zeros));
        tensors.AddRange(model.Parameters.Where(p => !linearWeights.Contains(p.Name)).Select(p => TensorData.F32(p.Name, p.Value, p.Shape)));
        Directory.CreateDirectory(outDir);
        SafeTensorsWriter.Write(Path.Combine(outDir, "model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });

        var cfgPath = Path.Combine(outDir, "config.json");
        HfConfigJson.Write(model.Config, cfgPath);
        var config = JsonNode.Parse(File.ReadAllText(cfgPath))!.AsObject();
        JsonObject qc = layout.Method == CheckpointQuantMethod.Awq
            ? new JsonObject
            {
                ["quant_method"] = "awq", ["bits"] = layout.Awq!.Bits, ["group_size"] = layout.Awq.GroupSize,
                ["zero_point"] = layout.Awq.ZeroPoint, ["version"] = layout.Awq.Version,
            }
            : JsonSerializer.SerializeToNode(layout.Gptq!)!.AsObject();
        var m = meta ?? new JsonObject();
        m["quantizer"] = "quantreason";
        m["method"] = "qat";
        qc["meta"] = m;
        config["quantization_config"] = qc;
        File.WriteAllText(cfgPath, config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        if (layout.Method == CheckpointQuantMethod.Gptq) File.WriteAllText(Path.Combine(outDir, "quantize_config.json"), layout.Gptq!.ToJson());
        return CheckpointQuantization.Load(outDir)!;
    }

    /// <summary>Learned scales for a trainer checkpoint (the f32 model file holds only the master weights).</summary>
    public static void SaveGrids(TrainableModel model, string dir)
    {
        var scales = model.GridScales.ToList();
        if (scales.Count == 0) return;
        SafeTensorsWriter.Write(Path.Combine(dir, GridFile), scales.Select(p => TensorData.F32(p.Name, p.Value, p.Shape)),
            new Dictionary<string, string> { ["format"] = "pt" });
    }

    public static void LoadGrids(TrainableModel model, string dir)
    {
        var scales = model.GridScales.ToList();
        if (scales.Count == 0) return;
        var path = Path.Combine(dir, GridFile);
        if (!File.Exists(path)) throw new QuantReasonException($"the checkpoint has no {GridFile} for the model's QAT grids", dir);
        using var f = SafeTensorsFile.Open(path);
        foreach (var p in scales) f.ReadF32(p.Name, p.Shape).CopyTo(p.Value, 0);
    }
}
