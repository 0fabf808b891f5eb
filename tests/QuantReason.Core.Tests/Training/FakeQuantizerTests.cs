using QuantReason.Training;
using QuantReason.Training.Ops;

namespace QuantReason.Tests.Training;

public class FakeQuantizerTests
{
    static TrainableLinear Linear(int outDim, int inDim, int seed, float scale = 1f)
    {
        var w = Ops.GradCheck.Random(new Random(seed), outDim * inDim, scale);
        return new TrainableLinear("test", new Parameter("test.weight", w, outDim, inDim), null);
    }

    [Theory]
    [InlineData(2, 8, 1f)]
    [InlineData(3, 32, 1f)]
    [InlineData(4, 16, 0.6f)]
    [InlineData(8, 20, 1f)] // group size not dividing the row
    public void Forward_equals_dequantize_of_quantize_exactly(int bits, int group, float clip)
    {
        var opts = new FakeQuantOptions(bits, group, clip);
        var lin = Linear(24, 40, bits * 100 + group);
        lin.FakeQuant = opts;
        var x = Ops.GradCheck.Random(new Random(1), 5 * 40);
        var y = new float[5 * 24];
        lin.Forward(x, 5, y);

        var q = FakeQuantizer.Quantize(lin.Weight.Value, 24, 40, opts);
        Assert.All(q.Codes, c => Assert.InRange(c, opts.MinCode, opts.MaxCode));
        var wq = FakeQuantizer.Dequantize(q);
        var expected = new float[5 * 24];
        QuantReason.Training.Ops.Linear.Forward(x, wq, null, 5, 40, 24, expected);
        Assert.Equal(expected, y); // bit-exact
        Assert.Equal(wq, lin.ForwardWeight());
        // Every dequantized weight is its code times its group's scale.
        for (int r = 0; r < 24; r++)
            for (int c = 0; c < 40; c++)
                Assert.Equal(q.Codes[r * 40 + c] * q.Scales[r * q.Groups + c / group], wq[r * 40 + c]);
    }

    [Fact]
    public void Straight_through_gradient_passes_inside_the_clip_range_and_is_zero_outside()
    {
        var opts = new FakeQuantOptions(3, 8, ClipRatio: 0.5f); // half the range: the largest weights get clipped
        var lin = Linear(6, 16, 7);
        lin.FakeQuant = opts;
        var x = Ops.GradCheck.Random(new Random(2), 4 * 16);
        var dy = Ops.GradCheck.Random(new Random(3), 4 * 6);
        lin.Forward(x, 4, new float[4 * 6]);
        lin.Backward(dy, 4, null);

        // The plain gradient w.r.t. the weight the forward used.
        var wq = FakeQuantizer.Dequantize(FakeQuantizer.Quantize(lin.Weight.Value, 6, 16, opts));
        var raw = new float[6 * 16];
        QuantReason.Training.Ops.Linear.Backward(x, wq, dy, 4, 16, 6, null, raw, null);
        var scales = FakeQuantizer.Quantize(lin.Weight.Value, 6, 16, opts).Scales;
        int inside = 0, outside = 0;
        for (int r = 0; r < 6; r++)
            for (int c = 0; c < 16; c++)
            {
                int i = r * 16 + c;
                float u = MathF.Round(lin.Weight.Value[i] / scales[r * 2 + c / 8]);
                if (u >= opts.MinCode && u <= opts.MaxCode) { Assert.Equal(raw[i], lin.Weight.Grad![i]); inside++; }
                else { Assert.Equal(0f, lin.Weight.Grad![i]); Assert.NotEqual(0f, raw[i]); outside++; }
            }
        Assert.True(inside > 0 && outside > 0, $"both regions must be exercised ({inside} inside, {outside} outside)");
    }

    [Fact]
    public void Without_clipping_every_gradient_passes_straight_through()
    {
        var lin = Linear(5, 12, 9);
        lin.FakeQuant = new FakeQuantOptions(4, 4);
        var x = Ops.GradCheck.Random(new Random(4), 3 * 12);
        var dy = Ops.GradCheck.Random(new Random(5), 3 * 5);
        lin.Forward(x, 3, new float[15]);
        lin.Backward(dy, 3, null);
        var raw = new float[60];
        QuantReason.Training.Ops.Linear.Backward(x, lin.ForwardWeight(), dy, 3, 12, 5, null, raw, null);
        Assert.Equal(raw, lin.Weight.Grad);
    }

    [Fact]
    public void Bad_options_are_rejected()
    {
        Assert.Throws<QuantReasonException>(() => new FakeQuantOptions(1, 32).Validate());
        Assert.Throws<QuantReasonException>(() => new FakeQuantOptions(4, 0).Validate());
        Assert.Throws<QuantReasonException>(() => new FakeQuantOptions(4, 32, 1.5f).Validate());
    }
}
