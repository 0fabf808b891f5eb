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
    /// <summary>The PEFT adapter folder applied unmerged on top of the checkpoint, if any.</summary>
    public string? AdapterDirectory { get; }

    Model(string dir, ModelConfig cfg, ModelWeights w, string? adapterDir = null)
    {
        Directory = dir; Config = cfg; Weights = w; Transformer = new Transformer(w); AdapterDirectory = adapterDir;
    }

    public static Model Load(string dir) => Load(dir, null);

    /// <summary>Loads a checkpoint and, when <paramref name="adapterDir"/> is given, puts that PEFT LoRA adapter on top
    /// of it unmerged (quantized linears stay packed; new token rows grow the vocabulary).</summary>
    public static Model Load(string dir, string? adapterDir)
    {
        if (!System.IO.Directory.Exists(dir)) throw new QuantReasonException("model directory not found", dir);
        var cfg = ModelConfig.Load(dir);
        ModelWeights w;
        using (var ck = Checkpoint.Open(dir)) w = ModelWeights.Load(ck, cfg);
        if (adapterDir is null) return new Model(dir, cfg, w);
        var applied = PeftAdapter.Load(adapterDir).Apply(w, adapterDir);
        return new Model(dir, applied.Config, applied, adapterDir);
    }

    /// <summary>Where the tokenizer of a base + adapter lives: the adapter folder when training added tokens and saved the
    /// grown tokenizer there (as PEFT users save it beside the adapter), else the base.</summary>
    public static string TokenizerDirectory(string dir, string? adapterDir) =>
        adapterDir is not null && (File.Exists(Path.Combine(adapterDir, "tokenizer.json")) || File.Exists(Path.Combine(adapterDir, "tokenizer.model")))
            ? adapterDir : dir;

    public static Model FromWeights(string dir, ModelWeights w) => new(dir, w.Config, w);
}
