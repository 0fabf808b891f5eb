using QuantReason.Models;
using QuantReason.Runtime;
using QuantReason.Tensors;
using QuantReason.Weights;

namespace QuantReason.Tests.Runtime;

/// <summary>Every checkpoint under ../shared/fixtures/models against the logits transformers computed for it.</summary>
public class TransformerTests
{
    public static TheoryData<string> Fixtures => Shared.Folders("fixtures", "models");

    sealed record Reference(SafeTensorsFile File, bool Bf16) : IDisposable
    {
        public void Dispose() => File.Dispose();
    }

    static (Model, Reference) Load(string name)
    {
        var dir = Shared.PathOf("fixtures", "models", name);
        var model = Model.Load(dir);
        var reference = SafeTensorsFile.Open(Path.Combine(dir, "reference.safetensors"));
        return (model, new Reference(reference, model.Config.TorchDType == DType.BF16));
    }

    /// <summary>f32 checkpoints: max |Δ| ≤ 1e-4 · max |ref|; bf16 (reference computed in bf16): ≤ 2e-2 · max |ref|.</summary>
    static void AssertClose(float[] expected, float[] actual, bool bf16, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double maxRef = expected.Max(v => Math.Abs((double)v)), maxDiff = 0;
        for (int i = 0; i < expected.Length; i++) maxDiff = Math.Max(maxDiff, Math.Abs((double)expected[i] - actual[i]));
        double tol = (bf16 ? 2e-2 : 1e-4) * maxRef;
        Assert.True(maxDiff <= tol, $"{what}: max |Δ| = {maxDiff:E3} exceeds {tol:E3} (max |ref| = {maxRef:E3})");
    }

    [SharedTheory, MemberData(nameof(Fixtures))]
    public void LogitsAndHiddenStatesMatchTransformers(string name)
    {
        var (model, r) = Load(name);
        using var _ = r;
        var ids = r.File.ReadI32("input_ids");
        var refLogits = r.File.ReadF32("logits");
        var refHidden = r.File.ReadF32("hidden_states"); // [layers+1, T, hidden]
        var hidden = new Dictionary<int, float[]>();
        var logits = model.Transformer.Forward([new SequenceChunk(model.Transformer.NewCache(), ids)], LogitsMode.All,
            (stage, x) => hidden[stage] = x);
        AssertClose(refLogits, logits, r.Bf16, $"{name} logits");
        int L = model.Config.NumLayers, T = ids.Length, H = model.Config.HiddenSize;
        for (int s = 0; s <= L; s++)
            AssertClose(refHidden.AsSpan(s * T * H, T * H).ToArray(), hidden[s], r.Bf16, $"{name} hidden_states[{s}]");
    }

    [SharedTheory, MemberData(nameof(Fixtures))]
    public void GreedyContinuationIsIdentical(string name)
    {
        var (model, r) = Load(name);
        using var _ = r;
        var ids = r.File.ReadI32("input_ids");
        var expected = r.File.ReadI32("greedy_ids");
        var result = new Generator(model.Transformer).Generate([ids], new GenerationOptions { MaxNewTokens = expected.Length });
        Assert.Equal(expected, result[0].Tokens);
        Assert.Equal(FinishReason.Length, result[0].FinishReason);
    }

    [SharedTheory, MemberData(nameof(Fixtures))]
    public void LeftPaddedBatchMatchesUnpaddedReference(string name)
    {
        var (model, r) = Load(name);
        using var _ = r;
        var ids = r.File.ReadI32("batch_input_ids");        // [2, 24], left padded
        var mask = r.File.ReadI32("batch_attention_mask");  // [2, 24]
        var expectedGreedy = r.File.ReadI32("batch_greedy_ids"); // [2, 12]
        var expectedLast = r.File.ReadF32("batch_last_logits");  // [2, vocab]
        int B = 2, T = ids.Length / B, G = expectedGreedy.Length / B, V = model.Config.VocabSize;
        var prompts = Enumerable.Range(0, B).Select(b => Enumerable.Range(0, T).Where(t => mask[b * T + t] == 1)
            .Select(t => ids[b * T + t]).ToArray()).ToList();
        Assert.NotEqual(prompts[0].Length, prompts[1].Length);

        var last = model.Transformer.Forward(prompts.Select(p => new SequenceChunk(model.Transformer.NewCache(), p)).ToList(), LogitsMode.Last);
        for (int b = 0; b < B; b++)
            AssertClose(expectedLast.AsSpan(b * V, V).ToArray(), last.AsSpan(b * V, V).ToArray(), r.Bf16, $"{name} batch_last_logits[{b}]");

        var results = new Generator(model.Transformer).Generate(prompts, new GenerationOptions { MaxNewTokens = G });
        for (int b = 0; b < B; b++) Assert.Equal(expectedGreedy.AsSpan(b * G, G).ToArray(), results[b].Tokens);
    }
}

/// <summary><see cref="Transformer.ForwardLayer"/>: one layer at a time reproduces the full forward pass exactly, and
/// the observer sees every linear's input in running order.</summary>
public class TransformerForwardLayerTests
{
    public static TheoryData<string> Fixtures => Shared.Folders("fixtures", "models");

    [SharedTheory, MemberData(nameof(Fixtures))]
    public void LayerByLayerEqualsTheFullForwardBitForBit(string name)
    {
        var model = Model.Load(Shared.PathOf("fixtures", "models", name));
        var t = model.Transformer;
        using var reference = SafeTensorsFile.Open(Shared.PathOf("fixtures", "models", name, "reference.safetensors"));
        var ids = reference.ReadI32("input_ids");
        var hidden = new Dictionary<int, float[]>();
        t.Forward([new SequenceChunk(t.NewCache(), ids)], LogitsMode.None, (stage, x) => hidden[stage] = x);

        var cache = t.NewCache(ids.Length);
        var chunks = new[] { new SequenceChunk(cache, ids) };
        var xs = t.Embed(chunks);
        Assert.Equal(hidden[0], xs);
        var seen = new List<(string, int, int)>();
        for (int l = 0; l < model.Config.NumLayers; l++)
        {
            seen.Clear();
            t.ForwardLayer(l, chunks, xs, (group, input, tokens) =>
            {
                foreach (var p in group.Projections) seen.Add((WeightNames.Of(p), input.Length / tokens, tokens));
            });
            Assert.Equal(0, cache.Length);
            if (l < model.Config.NumLayers - 1) Assert.Equal(hidden[l + 1], xs);
            var c = model.Config;
            Assert.Equal(new[]
            {
                ("self_attn.q_proj", c.HiddenSize, ids.Length), ("self_attn.k_proj", c.HiddenSize, ids.Length), ("self_attn.v_proj", c.HiddenSize, ids.Length),
                ("self_attn.o_proj", c.QDim, ids.Length), ("mlp.gate_proj", c.HiddenSize, ids.Length), ("mlp.up_proj", c.HiddenSize, ids.Length),
                ("mlp.down_proj", c.IntermediateSize, ids.Length),
            }, seen);
        }
    }

    [SharedFact]
    public void StopBeforeEndsTheLayerAfterObservingThatInput()
    {
        var name = Path.GetFileName(Directory.GetDirectories(Shared.PathOf("fixtures", "models")).Order(StringComparer.Ordinal).First());
        var model = Model.Load(Shared.PathOf("fixtures", "models", name));
        var t = model.Transformer;
        var chunks = new[] { new SequenceChunk(t.NewCache(), [5, 6, 7, 8]) };
        var x = t.Embed(chunks);
        var before = (float[])x.Clone();
        var seen = new List<string>();
        var wiring = model.Config.Architecture.Wiring;
        t.ForwardLayer(0, chunks, x, (group, _, _) => seen.AddRange(group.Projections.Select(WeightNames.Of)), stopBefore: wiring.GroupOf(Projection.O));
        Assert.Equal(["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj"], seen);
        Assert.Equal(before, x); // the residual stream is only written after o_proj
    }

    [SharedFact]
    public void An_activation_scheme_a_layer_cannot_run_is_one_error_naming_the_layer()
    {
        // llama3-tiny's MLP is 176 wide: groups of 32 do not tile down_proj's input.
        var dir = Shared.PathOf("fixtures", "models", "llama3-tiny");
        var model = Model.Load(dir);
        var e = Assert.Throws<QuantReasonException>(() => model.Transformer.UseSchemes(new ActivationScheme(4, 32), null));
        Assert.Equal("model.layers.0.mlp.down_proj", e.Where);
        Assert.Contains("not a multiple of its group size 32", e.Message);
        Assert.Null(model.Transformer.Activations); // nothing half-applied
        var trained = QuantReason.Training.TrainableModel.Load(dir);
        Assert.Equal("model.layers.0.mlp.down_proj", Assert.Throws<QuantReasonException>(() => trained.SetActivationQuant(new ActivationScheme(4, 32), null)).Where);
        Assert.Contains("head_dim 16", Assert.Throws<QuantReasonException>(() => model.Transformer.UseSchemes(null, new ActivationScheme(4, 32))).Message);
        // A W8A8 layer quantizes its input to int8 per token itself: a4 can't run on it, a8 is what it does anyway.
        var l0 = model.Weights.Layers[0];
        l0.Q = W8A8Linear.Quantize(l0.Q.ToF32(), l0.Q.OutFeatures, l0.Q.InFeatures);
        Assert.Contains("w8a8 layer", Assert.Throws<QuantReasonException>(() => model.Transformer.UseSchemes(new ActivationScheme(4), null)).Message);
        model.Transformer.UseSchemes(new ActivationScheme(8), null);
        Assert.Equal(new Dictionary<string, string> { ["activations"] = "a8", ["kv_cache"] = "kv4g16" }, model.Transformer.ForceSchemes(null, "kv4"));
    }
}
