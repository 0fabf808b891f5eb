using QuantReason.Models;
using QuantReason.Tensors;

namespace QuantReason.Runtime;

/// <summary>A checkpoint directory loaded for inference: configuration, weights and the forward pass.</summary>
public sealed class Model
{
    public string Directory { get; }
    public ModelConfig Config { get; }
    public ModelWeights Weights { get; }
    public Transformer Transformer { get; }

    Model(string dir, ModelConfig cfg, ModelWeights w)
    {
        Directory = dir; Config = cfg; Weights = w; Transformer = new Transformer(w);
    }

    public static Model Load(string dir)
    {
        if (!System.IO.Directory.Exists(dir)) throw new QuantReasonException("model directory not found", dir);
        var cfg = ModelConfig.Load(dir);
        using var ck = Checkpoint.Open(dir);
        return new Model(dir, cfg, ModelWeights.Load(ck, cfg));
    }

    public static Model FromWeights(string dir, ModelWeights w) => new(dir, w.Config, w);
}
