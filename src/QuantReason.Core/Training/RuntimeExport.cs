using QuantReason.Models;
using QuantReason.Weights;

namespace QuantReason.Training;

/// <summary>
/// The trainable model's current weights as a runtime <see cref="Runtime.Model"/>, copied in memory (no checkpoint on
/// disk): every decoder linear becomes the weight its training forward multiplies by — dequantize(quantize(W)) under fake
/// quantization — so batched generation samples from exactly the policy being trained.
/// </summary>
public static class RuntimeExport
{
    public static Runtime.Model ToRuntime(TrainableModel m, string name = "policy")
    {
        var cfg = m.Config;
        int h = cfg.HiddenSize;
        var layers = m.Layers.Select(l => new LayerWeights
        {
            InputNorm = Copy(l.InputNorm),
            PostAttentionNorm = Copy(l.PostAttentionNorm),
            Q = Dense(l.Attention.Q), K = Dense(l.Attention.K), V = Dense(l.Attention.V), O = Dense(l.Attention.O),
            Gate = Dense(l.Gate), Up = Dense(l.Up), Down = Dense(l.Down),
            QBias = CopyOrNull(l.Attention.Q.Bias), KBias = CopyOrNull(l.Attention.K.Bias), VBias = CopyOrNull(l.Attention.V.Bias),
            QNorm = CopyOrNull(l.Attention.QNorm), KNorm = CopyOrNull(l.Attention.KNorm),
        }).ToArray();
        var embed = DenseLinear.FromF32(m.Embed.Value, cfg.VocabSize, h);
        var weights = new ModelWeights
        {
            Config = cfg, Embedding = embed, Layers = layers, FinalNorm = Copy(m.FinalNorm),
            LmHead = m.LmHead is null ? embed : DenseLinear.FromF32(m.LmHead.Value, cfg.VocabSize, h),
        };
        return Runtime.Model.FromWeights(name, weights);
    }

    static DenseLinear Dense(TrainableLinear l)
    {
        if (l.Lora is not null || l.FrozenBase is not null)
            throw new QuantReasonException("a model with LoRA adapters or a frozen int4 base cannot be exported for generation; merge it first", l.Module);
        var w = l.FakeQuant is { } fq ? FakeQuantizer.Dequantize(FakeQuantizer.Quantize(l.Weight.Value, l.Out, l.In, fq)) : l.Weight.Value;
        return DenseLinear.FromF32(w, l.Out, l.In); // copies into pinned runtime memory
    }

    static float[] Copy(Parameter p) => (float[])p.Value.Clone();
    static float[]? CopyOrNull(Parameter? p) => p is null ? null : Copy(p);
}
