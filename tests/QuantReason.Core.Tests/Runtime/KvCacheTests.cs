using QuantReason.Runtime;
using QuantReason.Weights;

namespace QuantReason.Tests.Runtime;

public class KvCacheTests
{
    static readonly string StepMathRef = RepoFiles.PathOf("data", "models", "stepmath-ref");

    /// <summary>Real keys and values: the f32 cache of the embedded model after a prompt.</summary>
    static (Model Model, KvCache Cache) Filled(int tokens)
    {
        var model = Model.Load(StepMathRef);
        var cache = model.Transformer.NewCache(tokens);
        var ids = Enumerable.Range(0, tokens).Select(i => 3 + i * 7 % 40).ToArray();
        model.Transformer.Forward([new SequenceChunk(cache, ids)], LogitsMode.None);
        return (model, cache);
    }

    [Theory]
    [InlineData(4, 0)]   // one scale per token and head
    [InlineData(4, 16)]
    [InlineData(8, 32)]
    [InlineData(8, 8)]
    public void Round_trip_error_is_within_half_a_step_of_each_group(int bits, int group)
    {
        const int tokens = 40;
        var (model, f32) = Filled(tokens);
        var cfg = model.Config;
        var scheme = new ActivationScheme(bits, group).ForHeads(cfg.HeadDim, "test");
        var q = new KvCache(cfg.NumLayers, cfg.KvDim, cfg.MaxPositionEmbeddings, tokens, scheme);
        q.Reserve(tokens);
        int hd = cfg.HeadDim, g = scheme.GroupSize;
        var k = new float[tokens * hd];
        var v = new float[tokens * hd];
        double worst = 0;
        for (int l = 0; l < cfg.NumLayers; l++)
        {
            q.Write(l, 0, f32.Keys(l), f32.Values(l), tokens);
            for (int h = 0; h < cfg.NumKvHeads; h++)
            {
                q.ReadHead(l, h, hd, tokens, k, v);
                foreach (var (orig, back) in new[] { (f32.Keys(l), k), (f32.Values(l), v) })
                    for (int p = 0; p < tokens; p++)
                        for (int c0 = 0; c0 < hd; c0 += g)
                        {
                            var grp = orig.AsSpan(p * cfg.KvDim + h * hd + c0, g);
                            float bound = MathF.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(grp)) / (2 * scheme.MaxCode);
                            for (int i = 0; i < g; i++)
                            {
                                float err = MathF.Abs(grp[i] - back[p * hd + c0 + i]);
                                Assert.True(err <= bound * (1 + 1e-5f), $"layer {l} head {h} position {p}: error {err} > bound {bound}");
                                worst = Math.Max(worst, err / Math.Max(bound, 1e-30));
                            }
                        }
            }
        }
        Assert.True(worst > 0.5, $"the bound should be nearly reached somewhere (worst error / bound = {worst:F3})");
    }

    [Theory]
    [InlineData(4, 32, 0.625)]  // half a byte per value + a 4-byte scale per 32 values
    [InlineData(8, 32, 1.125)]
    public void A_quantized_cache_takes_its_codes_and_scales_only(int bits, int group, double bytesPerValue)
    {
        var cfg = Model.Load(StepMathRef).Config;
        var f32 = new KvCache(cfg.NumLayers, cfg.KvDim, cfg.MaxPositionEmbeddings, 100);
        var q = new KvCache(cfg.NumLayers, cfg.KvDim, cfg.MaxPositionEmbeddings, 100, new ActivationScheme(bits, group).ForHeads(cfg.HeadDim, "test"));
        Assert.Equal(2L * cfg.NumLayers * cfg.KvDim * 4 * 100, f32.ByteSize);
        Assert.Equal(2L * cfg.NumLayers * cfg.KvDim * bytesPerValue * 100, q.ByteSize);
        q.Reserve(120); // growing keeps the ratio
        Assert.Equal(q.Capacity * 2L * cfg.NumLayers * cfg.KvDim * bytesPerValue, q.ByteSize);
        Assert.Throws<InvalidOperationException>(() => q.Keys(0));
    }

    [Fact]
    public void An_eight_bit_cache_decodes_as_the_f32_one_does()
    {
        // Property that can fail: greedy decoding of the embedded model with a KV8 cache keeps the f32 cache's tokens.
        var model = Model.Load(StepMathRef);
        var prompt = new[] { 1, 5, 9, 12, 7, 22, 30 };
        int[] Greedy()
        {
            var g = new Generator(model.Transformer, _ => "");
            return g.Generate([prompt], new GenerationOptions { MaxNewTokens = 24, Sampling = new SamplingOptions(0, 0, 1) })[0].Tokens;
        }
        var reference = Greedy();
        model.Transformer.UseSchemes(null, new ActivationScheme(8, 32));
        Assert.NotNull(model.Transformer.NewCache().Scheme);
        Assert.Equal(reference, Greedy());
    }
}
