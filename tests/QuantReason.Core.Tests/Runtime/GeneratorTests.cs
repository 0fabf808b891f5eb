using QuantReason.Runtime;

namespace QuantReason.Tests.Runtime;

public class GeneratorTests
{
    // Any f32 fixture will do: the properties tested hold for every model.
    static Model Fixture() => Directory.GetDirectories(Shared.PathOf("fixtures", "models")).Order(StringComparer.Ordinal)
        .Select(Model.Load).First(m => m.Config.TorchDType == QuantReason.Tensors.DType.F32);

    static readonly int[] Prompt = [5, 17, 33, 101, 7];

    [SharedFact]
    public void SeededSamplingIsReproducibleAndSeedSensitive()
    {
        var g = new Generator(Fixture().Transformer);
        var o = new GenerationOptions { MaxNewTokens = 16, Sampling = new SamplingOptions(1.0f, 50, 0.95f), Seed = 7 };
        var a = g.Generate([Prompt, Prompt], o);
        var b = g.Generate([Prompt, Prompt], o);
        Assert.Equal(a[0].Tokens, b[0].Tokens);
        Assert.Equal(a[1].Tokens, b[1].Tokens);
        Assert.NotEqual(a[0].Tokens, a[1].Tokens); // each sequence has its own stream
        var c = g.Generate([Prompt], o with { Seed = 8 });
        Assert.NotEqual(a[0].Tokens, c[0].Tokens);
    }

    [SharedFact]
    public void TopKOfOneIsGreedy()
    {
        var g = new Generator(Fixture().Transformer);
        var greedy = g.Generate([Prompt], new GenerationOptions { MaxNewTokens = 10 });
        var topk1 = g.Generate([Prompt], new GenerationOptions { MaxNewTokens = 10, Sampling = new SamplingOptions(0.7f, 1), Seed = 3 });
        Assert.Equal(greedy[0].Tokens, topk1[0].Tokens);
    }

    [SharedFact]
    public void StopsOnEosIdAndKeepsIt()
    {
        var g = new Generator(Fixture().Transformer);
        var free = g.Generate([Prompt], new GenerationOptions { MaxNewTokens = 12 })[0].Tokens;
        int eos = free[4];
        var stopped = g.Generate([Prompt], new GenerationOptions { MaxNewTokens = 12, StopTokenIds = [eos] })[0];
        Assert.Equal(FinishReason.Stop, stopped.FinishReason);
        Assert.Equal(free[..(Array.IndexOf(free, eos) + 1)], stopped.Tokens);
    }

    [SharedFact]
    public void StopStringCutsTheText()
    {
        var g = new Generator(Fixture().Transformer, ids => string.Concat(ids.Select(i => $"<{i}>")));
        var free = g.Generate([Prompt], new GenerationOptions { MaxNewTokens = 8 })[0];
        string stop = $"<{free.Tokens[3]}>";
        var r = g.Generate([Prompt], new GenerationOptions { MaxNewTokens = 8, StopStrings = [stop] })[0];
        Assert.Equal(FinishReason.Stop, r.FinishReason);
        Assert.DoesNotContain(stop, r.Text);
        Assert.StartsWith(r.Text!, free.Text);
    }

    public static TheoryData<string> Fixtures => Shared.Folders("fixtures", "models");

    /// <summary>The runtime never pads: each sequence of a batch keeps its own KV cache and positions, and every kernel
    /// computes a token's row independently of the others in its batch. So batched greedy decoding is bit-identical to
    /// decoding each prompt alone, also in bf16 (where transformers' left-padded path can round differently from its
    /// own unpadded one and flip a near tie).</summary>
    [SharedTheory, MemberData(nameof(Fixtures))]
    public void BatchedGreedyEqualsEachPromptAlone(string name)
    {
        var model = Model.Load(Shared.PathOf("fixtures", "models", name));
        var g = new Generator(model.Transformer);
        int[][] prompts = [[5, 17, 33, 101, 7, 9, 250, 3, 88, 12, 40, 41, 2], [5, 17, 33], [300, 2, 2, 2, 2, 2, 19]];
        var options = new GenerationOptions { MaxNewTokens = 16 };
        var batched = g.Generate(prompts, options);
        for (int b = 0; b < prompts.Length; b++)
            Assert.Equal(g.Generate([prompts[b]], options)[0].Tokens, batched[b].Tokens);
    }

    [SharedFact]
    public void PromptLongerThanContextIsRefused()
    {
        var m = Fixture();
        var g = new Generator(m.Transformer);
        var e = Assert.Throws<QuantReasonException>(() => g.Generate([new int[m.Config.MaxPositionEmbeddings + 1]], new GenerationOptions()));
        Assert.Contains("context", e.Message);
    }

    [Fact]
    public void SamplerRejectsBadSettings()
    {
        Assert.Throws<QuantReasonException>(() => new SamplingOptions(-1f).Validate());
        Assert.Throws<QuantReasonException>(() => new SamplingOptions(1f, TopP: 0f).Validate());
        Assert.Throws<QuantReasonException>(() => new SamplingOptions(1f, TopK: -2).Validate());
    }

    [Fact]
    public void TopPKeepsTheSmallestNucleus()
    {
        // probabilities ∝ e^{4}, e^{3}, e^{0}…: with top-p 0.5 only the first token can be drawn.
        float[] logits = [4f, 3f, 0f, 0f, 0f];
        var rng = new Rng(1);
        for (int i = 0; i < 200; i++) Assert.Equal(0, Sampler.Sample(logits, new SamplingOptions(1f, 0, 0.5f), ref rng));
        var seen = new HashSet<int>();
        for (int i = 0; i < 2000; i++) seen.Add(Sampler.Sample(logits, new SamplingOptions(1f, 2), ref rng));
        Assert.Equal([0, 1], seen.Order());
    }
}
