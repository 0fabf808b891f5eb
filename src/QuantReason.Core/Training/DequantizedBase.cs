using QuantReason.Models;

namespace QuantReason.Training;

/// <summary>
/// Training over a quantized checkpoint by emulation: the f32 model whose every tensor is what the quantized checkpoint
/// computes with — each projection's dequantized weight (<see cref="Weights.ILinearWeight.ToF32"/>, whatever the format:
/// RTN, GPTQ, AWQ, trit planes), and the checkpoint's own embedding and norms (AWQ folds scales into norms). Frozen under
/// LoRA, it is the quantized model's forward to float round-off, so adapters trained over it fit the quantized model.
/// </summary>
public static class DequantizedBase
{
    /// <summary>The f32 trainable model of <paramref name="quantizedDir"/>'s dequantized weights.</summary>
    public static TrainableModel Load(string quantizedDir)
    {
        var q = Runtime.Model.Load(quantizedDir);
        var w = q.Weights;
        var model = TrainableModel.Create(q.Config, seed: 0);
        var byName = model.Parameters.ToDictionary(p => p.Name, StringComparer.Ordinal);
        void Set(string name, float[] value)
        {
            var p = byName.TryGetValue(name, out var found) ? found : throw new QuantReasonException($"the trainer has no tensor '{name}'", quantizedDir);
            if (value.Length != p.Value.Length)
                throw new QuantReasonException($"tensor {name} has {value.Length} values, the trainer's [{string.Join(", ", p.Shape)}] {p.Value.Length}", quantizedDir);
            value.CopyTo(p.Value, 0);
        }
        Set(WeightNames.Embed, w.Embedding.ToF32());
        Set(WeightNames.FinalNorm, w.FinalNorm);
        if (!q.Config.TieWordEmbeddings) Set(WeightNames.LmHead, w.LmHead.ToF32());
        var wiring = q.Config.Architecture.Wiring;
        for (int i = 0; i < w.Layers.Length; i++)
        {
            var layer = w.Layers[i];
            Set(WeightNames.Layer(i, "input_layernorm.weight"), layer.InputNorm);
            Set(WeightNames.Layer(i, "post_attention_layernorm.weight"), layer.PostAttentionNorm);
            if (layer.QNorm is { } qn) Set(WeightNames.Layer(i, "self_attn.q_norm.weight"), qn);
            if (layer.KNorm is { } kn) Set(WeightNames.Layer(i, "self_attn.k_norm.weight"), kn);
            foreach (var spec in wiring.Projections)
            {
                var module = WeightNames.Layer(i, spec.Name);
                Set(module + ".weight", layer[spec.Id].ToF32());
                if (layer.Bias(spec.Id) is { } b) Set(module + ".bias", b);
            }
        }
        return model;
    }

    /// <summary>Writes the dequantized model as an f32 Hugging Face checkpoint (config.json, model.safetensors) with the
    /// quantized checkpoint's tokenizer files beside it.</summary>
    public static void Write(string quantizedDir, string outDir)
    {
        Load(quantizedDir).Save(outDir);
        foreach (var f in new[] { "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model", "generation_config.json", "quantreason.json" })
            if (File.Exists(Path.Combine(quantizedDir, f))) File.Copy(Path.Combine(quantizedDir, f), Path.Combine(outDir, f), overwrite: true);
    }
}
