using System.Text.Json.Nodes;
using QuantReason.Weights;

namespace QuantReason.Tests.Weights;

public class ActivationSchemeTests
{
    [Theory]
    [InlineData(4, 0, 1f)]
    [InlineData(4, 16, 1f)]
    [InlineData(8, 0, 1f)]
    [InlineData(8, 32, 0.7f)]
    public void Fake_quantization_is_code_times_scale_within_half_a_step(int bits, int group, float clip)
    {
        var scheme = new ActivationScheme(bits, group, clip).Validated("test");
        int rows = 3, width = 64;
        var x = Training.Ops.GradCheck.Random(new Random(bits * 10 + group), rows * width, 3f);
        x[5] = 40f; // an outlier token channel, as real activations have
        var xq = (float[])x.Clone();
        scheme.FakeQuantize(xq, rows, width);
        var codes = new sbyte[width];
        var scales = new float[width / scheme.GroupFor(width)];
        for (int r = 0; r < rows; r++)
        {
            scheme.Quantize(x.AsSpan(r * width, width), codes, scales);
            int g = scheme.GroupFor(width);
            for (int c = 0; c < width; c++)
            {
                float s = scales[c / g];
                Assert.InRange(codes[c], -scheme.MaxCode, scheme.MaxCode);
                Assert.Equal(s * codes[c], xq[r * width + c]);
                float amax = 0;
                for (int k = c / g * g; k < (c / g + 1) * g; k++) amax = MathF.Max(amax, MathF.Abs(x[r * width + k]));
                Assert.Equal(clip * amax / scheme.MaxCode, s, 6);
                // Inside the clip range the error is at most half a step; outside it is the clamp's.
                float err = MathF.Abs(x[r * width + c] - xq[r * width + c]);
                if (MathF.Abs(x[r * width + c]) <= clip * amax) Assert.True(err <= s / 2 * (1 + 1e-5f), $"error {err} > half step {s / 2}");
                else Assert.Equal(MathF.Abs(x[r * width + c]) - scheme.MaxCode * s, err, 4);
            }
        }
    }

    [Fact]
    public void An_all_zero_group_stays_zero()
    {
        var x = new float[16];
        new ActivationScheme(4, 8).FakeQuantize(x, 1, 16);
        Assert.All(x, v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData("a4", 4, 0, 1f)]
    [InlineData("a8g128", 8, 128, 1f)]
    [InlineData("a4g32c0.9", 4, 32, 0.9f)]
    public void Flag_names_parse_and_print_back(string name, int bits, int group, float clip)
    {
        var s = ActivationScheme.Parse(name, "a", "--activations")!;
        Assert.Equal(new ActivationScheme(bits, group, clip), s);
        Assert.Equal(name, s.Name());
        Assert.Null(ActivationScheme.Parse("none", "a", "--activations"));
        Assert.Equal(s, ActivationScheme.FromJson(s.ToJson(), "test"));
    }

    [Theory]
    [InlineData("a3")]   // 3-bit activations: no such path
    [InlineData("kv4")]  // the cache's prefix for an activation flag
    [InlineData("a4c1.5")]
    public void Bad_flags_fail_naming_the_flag(string text)
    {
        var e = Assert.Throws<QuantReasonException>(() => ActivationScheme.Parse(text, "a", "--activations"));
        Assert.Equal("--activations", e.Where);
    }

    [Fact]
    public void Records_it_cannot_run_are_refused()
    {
        Assert.Throws<QuantReasonException>(() => ActivationScheme.FromJson(JsonNode.Parse("""{"num_bits": 4, "symmetric": false}"""), "q"));
        Assert.Throws<QuantReasonException>(() => ActivationScheme.FromJson(JsonNode.Parse("""{"num_bits": 8, "dynamic": false}"""), "q"));
        Assert.Throws<QuantReasonException>(() => ActivationScheme.FromJson(JsonNode.Parse("""{"num_bits": 8, "strategy": "tensor"}"""), "q"));
        Assert.Throws<QuantReasonException>(() => ActivationScheme.FromJson(JsonNode.Parse("""{"num_bits": "eight"}"""), "q"));
    }

    [Fact]
    public void A_group_that_does_not_tile_a_layer_or_a_head_names_it()
    {
        var e = Assert.Throws<QuantReasonException>(() => new ActivationScheme(4, 48).CheckWidth(64, "model.layers.0.mlp.down_proj"));
        Assert.Equal("model.layers.0.mlp.down_proj", e.Where);
        Assert.Throws<QuantReasonException>(() => new ActivationScheme(4, 128).ForHeads(64, "kv_cache"));
        Assert.Equal(64, new ActivationScheme(4).ForHeads(64, "kv_cache").GroupSize);
    }
}
