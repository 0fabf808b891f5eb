using QuantReason.Quantization.Model;
using QuantReason.Runtime;
using QuantReason.Tensors;

namespace QuantReason.Models;

/// <summary>One decoder layer's weights; linears are behind <see cref="ILinearWeight"/> so quantized formats slot in.</summary>
public sealed class LayerWeights
{
    public required float[] InputNorm { get; init; }          // [hidden]
    public required float[] PostAttentionNorm { get; init; }  // [hidden]
    public required ILinearWeight Q { get; set; }             // [heads·headDim, hidden]
    public required ILinearWeight K { get; set; }             // [kvHeads·headDim, hidden]
    public required ILinearWeight V { get; set; }             // [kvHeads·headDim, hidden]
    public required ILinearWeight O { get; set; }             // [hidden, heads·headDim]
    public required ILinearWeight Gate { get; set; }          // [intermediate, hidden]
    public required ILinearWeight Up { get; set; }            // [intermediate, hidden]
    public required ILinearWeight Down { get; set; }          // [hidden, intermediate]
    public float[]? QBias { get; init; }                      // [heads·headDim]   (Qwen2)
    public float[]? KBias { get; init; }                      // [kvHeads·headDim]
    public float[]? VBias { get; init; }                      // [kvHeads·headDim]
    public float[]? QNorm { get; init; }                      // [headDim]         (Qwen3)
    public float[]? KNorm { get; init; }                      // [headDim]

    /// <summary>The linears by their Hugging Face suffix (`self_attn.q_proj`, …), for quantizers that swap them.</summary>
    public ILinearWeight this[string suffix]
    {
        get => suffix switch
        {
            "self_attn.q_proj" => Q, "self_attn.k_proj" => K, "self_attn.v_proj" => V, "self_attn.o_proj" => O,
            "mlp.gate_proj" => Gate, "mlp.up_proj" => Up, "mlp.down_proj" => Down,
            _ => throw new ArgumentOutOfRangeException(nameof(suffix), suffix, null),
        };
        set
        {
            switch (suffix)
            {
                case "self_attn.q_proj": Q = value; break;
                case "self_attn.k_proj": K = value; break;
                case "self_attn.v_proj": V = value; break;
                case "self_attn.o_proj": O = value; break;
                case "mlp.gate_proj": Gate = value; break;
                case "mlp.up_proj": Up = value; break;
                case "mlp.down_proj": Down = value; break;
                default: throw new ArgumentOutOfRangeException(nameof(suffix), suffix, null);
            }
        }
    }
}

/// <summary>All weights of a Llama-family decoder, loaded from a checkpoint and checked against the configuration.</summary>
public sealed class ModelWeights
{
    public required ModelConfig Config { get; init; }
    public required DenseLinear Embedding { get; init; }   // [vocab, hidden]
    public required LayerWeights[] Layers { get; init; }
    public required float[] FinalNorm { get; init; }        // [hidden]
    public required ILinearWeight LmHead { get; set; }      // [vocab, hidden]; the embedding itself when tied

    public static ModelWeights Load(Checkpoint ck, ModelConfig cfg)
    {
        // Quantized checkpoints (GPTQ, AWQ, W8A8, trit-planes) load each linear into its packed ILinearWeight.
        var quant = CheckpointQuantization.Load(ck.Directory);
        // The layer count sizes an array: a config that declares more layers than the checkpoint holds is refused first.
        var lastNorm = WeightNames.Layer(cfg.NumLayers - 1, "input_layernorm.weight");
        if (!ck.Contains(lastNorm))
            throw new QuantReasonException($"num_hidden_layers is {cfg.NumLayers} but the checkpoint has no '{lastNorm}'", ck.Directory);
        var layers = new LayerWeights[cfg.NumLayers];
        for (int i = 0; i < cfg.NumLayers; i++) layers[i] = LoadLayer(ck, cfg, i, quant);
        int h = cfg.HiddenSize;
        var embed = DenseLinear.Load(ck, WeightNames.Embed, cfg.VocabSize, h);
        ILinearWeight head = cfg.TieWordEmbeddings || !ck.Contains(WeightNames.LmHead)
            ? (cfg.TieWordEmbeddings ? embed : throw new QuantReasonException("tensor missing and tie_word_embeddings is false", $"{ck.Directory}: {WeightNames.LmHead}"))
            : DenseLinear.Load(ck, WeightNames.LmHead, cfg.VocabSize, h);
        return new ModelWeights { Config = cfg, Embedding = embed, Layers = layers, FinalNorm = ck.ReadF32(WeightNames.FinalNorm, h), LmHead = head };
    }

    /// <summary>One decoder layer's weights (quantizers stream a model one layer at a time).</summary>
    public static LayerWeights LoadLayer(Checkpoint ck, ModelConfig cfg, int i, CheckpointQuantization? quant)
    {
        int h = cfg.HiddenSize, q = cfg.QDim, kv = cfg.KvDim, ff = cfg.IntermediateSize, hd = cfg.HeadDim;
        var traits = cfg.Architecture;
        float[] Vec(string name, int n) => ck.ReadF32(name, n);
        float[]? OptVec(string name, int n, bool expected)
        {
            if (ck.Contains(name)) return Vec(name, n);
            if (expected) throw new QuantReasonException($"tensor missing (the {traits.HfClass} configuration requires it)", $"{ck.Directory}: {name}");
            return null;
        }
        ILinearWeight Lin(string prefix, int outF, int inF) => CheckpointQuantization.LoadLinear(ck, prefix, outF, inF, quant);
        string L(string s) => WeightNames.Layer(i, s);
        return new LayerWeights
        {
            InputNorm = Vec(L("input_layernorm.weight"), h),
            PostAttentionNorm = Vec(L("post_attention_layernorm.weight"), h),
            Q = Lin(L("self_attn.q_proj"), q, h),
            K = Lin(L("self_attn.k_proj"), kv, h),
            V = Lin(L("self_attn.v_proj"), kv, h),
            O = Lin(L("self_attn.o_proj"), h, q),
            Gate = Lin(L("mlp.gate_proj"), ff, h),
            Up = Lin(L("mlp.up_proj"), ff, h),
            Down = Lin(L("mlp.down_proj"), h, ff),
            QBias = OptVec(L("self_attn.q_proj.bias"), q, cfg.AttentionBias),
            KBias = OptVec(L("self_attn.k_proj.bias"), kv, cfg.AttentionBias),
            VBias = OptVec(L("self_attn.v_proj.bias"), kv, cfg.AttentionBias),
            QNorm = OptVec(L("self_attn.q_norm.weight"), hd, traits.QkNorm),
            KNorm = OptVec(L("self_attn.k_norm.weight"), hd, traits.QkNorm),
        };
    }
}
