using QuantReason.Models;
using QuantReason.Training;

namespace QuantReason.Tests.Training;

/// <summary>Small configurations of each supported architecture for property and finite-difference tests.</summary>
static class TinyConfigs
{
    public static ModelConfig Of(ArchitectureKind kind, int vocab = 13, int layers = 2) => new()
    {
        Architecture = ArchitectureTraits.Of(kind),
        HiddenSize = 16, IntermediateSize = 24, NumLayers = layers, NumHeads = 4, NumKvHeads = 2, HeadDim = 6,
        VocabSize = vocab, RmsNormEps = 1e-5, Rope = new RopeScaling(RopeType.Default, 10000), MaxPositionEmbeddings = 64,
        TieWordEmbeddings = kind == ArchitectureKind.Qwen3, AttentionBias = kind == ArchitectureKind.Qwen2,
    };

    /// <summary>Random tokens with a random-ish loss mask (the first row fully masked in).</summary>
    public static TokenBatch Batch(int vocab, int rows, int seq, int seed)
    {
        var rng = new Random(seed);
        var ids = Enumerable.Range(0, rows * seq).Select(_ => rng.Next(vocab)).ToArray();
        var mask = Enumerable.Range(0, rows * seq).Select(i => i < seq || rng.Next(3) > 0 ? 1 : 0).ToArray();
        return new TokenBatch(ids, mask, rows, seq);
    }

    /// <summary>A model whose biases and norm weights are random too, so their gradients are exercised.</summary>
    public static TrainableModel RandomModel(ModelConfig cfg, int seed, float std = 0.3f)
    {
        var m = TrainableModel.Create(cfg, seed, std);
        var rng = new Random(seed + 1);
        foreach (var p in m.Parameters.Where(p => p.Shape.Length == 1))
            for (int i = 0; i < p.Value.Length; i++) p.Value[i] += (float)(rng.NextDouble() - 0.5) * 0.5f;
        return m;
    }
}
