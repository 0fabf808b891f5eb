using QuantReason.Quantization.Model;
using QuantReason.Runtime;
using QuantReason.Tensors;
using QuantReason.Weights;

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

    /// <summary>The linears by projection, for quantizers that swap them.</summary>
    public ILinearWeight this[Projection p]
    {
        get => p switch
        {
            Projection.Q => Q, Projection.K => K, Projection.V => V, Projection.O => O,
            Projection.Gate => Gate, Projection.Up => Up, Projection.Down => Down,
            _ => throw new ArgumentOutOfRangeException(nameof(p), p, null),
        };
        set
        {
            switch (p)
            {
                case Projection.Q: Q = value; break;
                case Projection.K: K = value; break;
                case Projection.V: V = value; break;
                case Projection.O: O = value; break;
                case Projection.Gate: Gate = value; break;
                case Projection.Up: Up = value; break;
                case Projection.Down: Down = value; break;
                default: throw new ArgumentOutOfRangeException(nameof(p), p, null);
            }
        }
    }

    /// <summary>A projection's bias, when it has one (Qwen2's q, k and v).</summary>
    public float[]? Bias(Projection p) => p switch { Projection.Q => QBias, Projection.K => KBias, Projection.V => VBias, _ => null };

    /// <summary>An RMSNorm weight by its checkpoint name in the layer (<see cref="InputGroup.Norm"/>).</summary>
    public float[] Norm(string name) => name switch
    {
        "input_layernorm" => InputNorm,
        "post_attention_layernorm" => PostAttentionNorm,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };
}

/// <summary>All weights of a Llama-family decoder, loaded from a checkpoint and checked against the configuration.</summary>
public sealed class ModelWeights
{
    public required ModelConfig Config { get; init; }
    public required DenseLinear Embedding { get; init; }   // [vocab, hidden]
    public required LayerWeights[] Layers { get; init; }
    public required float[] FinalNorm { get; init; }        // [hidden]
    public required ILinearWeight LmHead { get; set; }      // [vocab, hidden]; the embedding itself when tied
    /// <summary>How the checkpoint stored its linears, parsed once at load; null for full precision.</summary>
    public CheckpointQuantization? Quantization { get; init; }

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
        return new ModelWeights { Config = cfg, Embedding = embed, Layers = layers, FinalNorm = ck.ReadF32(WeightNames.FinalNorm, h), LmHead = head, Quantization = quant };
    }

    /// <summary>One decoder layer's weights (quantizers stream a model one layer at a time).</summary>
    public static LayerWeights LoadLayer(Checkpoint ck, ModelConfig cfg, int i, CheckpointQuantization? quant)
    {
        int h = cfg.HiddenSize, hd = cfg.HeadDim;
        var traits = cfg.Architecture;
        float[] Vec(string name, int n) => ck.ReadF32(name, n);
        float[]? OptVec(string name, int n, bool expected)
        {
            if (ck.Contains(name)) return Vec(name, n);
            if (expected) throw new QuantReasonException($"tensor missing (the {traits.HfClass} configuration requires it)", $"{ck.Directory}: {name}");
            return null;
        }
        var wiring = traits.Wiring;
        string L(string s) => WeightNames.Layer(i, s);
        ILinearWeight Lin(Projection p)
        {
            var (outF, inF) = wiring[p].Shape(cfg);
            return CheckpointQuantization.LoadLinear(ck, L(wiring[p].Name), outF, inF, quant);
        }
        float[]? Bias(Projection p) => OptVec(L(wiring[p].Name + ".bias"), wiring[p].Shape(cfg).Out, cfg.AttentionBias);
        return new LayerWeights
        {
            InputNorm = Vec(L("input_layernorm.weight"), h),
            PostAttentionNorm = Vec(L("post_attention_layernorm.weight"), h),
            Q = Lin(Projection.Q),
            K = Lin(Projection.K),
            V = Lin(Projection.V),
            O = Lin(Projection.O),
            Gate = Lin(Projection.Gate),
            Up = Lin(Projection.Up),
            Down = Lin(Projection.Down),
            QBias = Bias(Projection.Q),
            KBias = Bias(Projection.K),
            VBias = Bias(Projection.V),
            QNorm = OptVec(L("self_attn.q_norm.weight"), hd, traits.QkNorm),
            KNorm = OptVec(L("self_attn.k_norm.weight"), hd, traits.QkNorm),
        };
    }
}
