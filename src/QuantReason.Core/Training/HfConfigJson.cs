using System.Text.Json;
using System.Text.Json.Nodes;
using QuantReason.Models;

namespace QuantReason.Training;

/// <summary>Writes a <see cref="ModelConfig"/> as a Hugging Face config.json that transformers and <see cref="ModelConfig.Load"/> read back.</summary>
public static class HfConfigJson
{
    public static void Write(ModelConfig c, string path)
    {
        var rope = new JsonObject { ["rope_theta"] = c.Rope.Theta, ["rope_type"] = c.Rope.Type == RopeType.Llama3 ? "llama3" : "default" };
        if (c.Rope.Type == RopeType.Llama3)
        {
            rope["factor"] = c.Rope.Factor;
            rope["low_freq_factor"] = c.Rope.LowFreqFactor;
            rope["high_freq_factor"] = c.Rope.HighFreqFactor;
            rope["original_max_position_embeddings"] = c.Rope.OriginalMaxPositionEmbeddings;
        }
        var o = new JsonObject
        {
            ["architectures"] = new JsonArray(c.Architecture.HfClass),
            ["model_type"] = c.Architecture.ModelType,
            ["attention_bias"] = c.AttentionBias,
            ["mlp_bias"] = c.MlpBias,
            ["hidden_act"] = "silu",
            ["hidden_size"] = c.HiddenSize,
            ["intermediate_size"] = c.IntermediateSize,
            ["num_hidden_layers"] = c.NumLayers,
            ["num_attention_heads"] = c.NumHeads,
            ["num_key_value_heads"] = c.NumKvHeads,
            ["head_dim"] = c.HeadDim,
            ["vocab_size"] = c.VocabSize,
            ["rms_norm_eps"] = c.RmsNormEps,
            ["max_position_embeddings"] = c.MaxPositionEmbeddings,
            ["tie_word_embeddings"] = c.TieWordEmbeddings,
            ["rope_theta"] = c.Rope.Theta,
            ["rope_parameters"] = rope,
            ["torch_dtype"] = "float32",
        };
        if (c.Rope.Type == RopeType.Llama3) o["rope_scaling"] = rope.DeepClone();
        if (c.BosTokenId is { } bos) o["bos_token_id"] = bos;
        if (c.EosTokenIds.Count == 1) o["eos_token_id"] = c.EosTokenIds[0];
        else if (c.EosTokenIds.Count > 1) o["eos_token_id"] = new JsonArray(c.EosTokenIds.Select(e => (JsonNode)e).ToArray());
        if (c.PadTokenId is { } pad) o["pad_token_id"] = pad;
        File.WriteAllText(path, o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }
}
