using QuantReason.Training;
using QuantReason.Weights;

namespace QuantReason.Tests.Training;

public class TrainableLinearTests
{
    [Fact]
    public void Activation_straight_through_gradient_passes_inside_the_clip_range_and_is_zero_outside()
    {
        int tokens = 4, inDim = 32, outDim = 6;
        var scheme = new ActivationScheme(4, 16, ClipRatio: 0.6f); // the largest inputs of each group get clipped
        var w = Ops.GradCheck.Random(new Random(1), outDim * inDim);
        var lin = new TrainableLinear("test", new Parameter("test.weight", w, outDim, inDim), null) { InputQuant = scheme };
        var x = Ops.GradCheck.Random(new Random(2), tokens * inDim, 2f);
        var dy = Ops.GradCheck.Random(new Random(3), tokens * outDim);
        var y = new float[tokens * outDim];
        lin.Forward(x, tokens, y);
        var dx = new float[tokens * inDim];
        lin.Backward(dy, tokens, dx);

        // The forward multiplies x̂; the gradient w.r.t. x̂ is dy·W, and reaches x only where the clamp left it alone.
        var xq = (float[])x.Clone();
        scheme.FakeQuantize(xq, tokens, inDim);
        var expectedY = new float[tokens * outDim];
        QuantReason.Training.Ops.Linear.Forward(xq, w, null, tokens, inDim, outDim, expectedY);
        Assert.Equal(expectedY, y);
        var dxq = new float[tokens * inDim];
        var dw = new float[outDim * inDim];
        QuantReason.Training.Ops.Linear.Backward(xq, w, dy, tokens, inDim, outDim, dxq, dw, null);
        Assert.Equal(dw, lin.Weight.Grad); // the weight gradient sees the input the forward used
        int inside = 0, outside = 0;
        for (int t = 0; t < tokens; t++)
            for (int g = 0; g < inDim; g += 16)
            {
                float amax = 0;
                for (int c = g; c < g + 16; c++) amax = MathF.Max(amax, MathF.Abs(x[t * inDim + c]));
                float clip = scheme.ClipRatio * amax, step = clip / scheme.MaxCode;
                for (int c = g; c < g + 16; c++)
                {
                    int i = t * inDim + c;
                    float a = MathF.Abs(x[i]);
                    if (a <= clip) { Assert.Equal(dxq[i], dx[i]); inside++; }
                    else if (a > clip + step / 2) { Assert.Equal(0f, dx[i]); Assert.NotEqual(0f, dxq[i]); outside++; }
                }
            }
        Assert.True(inside > 0 && outside > 0, $"both regions must be exercised ({inside} inside, {outside} outside)");
    }

    [Fact]
    public void Activation_gradient_accumulates_into_dx_when_asked()
    {
        int tokens = 3, inDim = 16, outDim = 5;
        var lin = new TrainableLinear("test", new Parameter("test.weight", Ops.GradCheck.Random(new Random(4), outDim * inDim), outDim, inDim), null)
        {
            InputQuant = new ActivationScheme(8, 0, 0.5f),
        };
        var x = Ops.GradCheck.Random(new Random(5), tokens * inDim);
        var dy = Ops.GradCheck.Random(new Random(6), tokens * outDim);
        lin.Forward(x, tokens, new float[tokens * outDim]);
        var fresh = new float[tokens * inDim];
        lin.Backward(dy, tokens, fresh);
        var acc = Enumerable.Repeat(1f, tokens * inDim).ToArray();
        lin.Backward(dy, tokens, acc, accumulateDx: true);
        for (int i = 0; i < acc.Length; i++) Assert.Equal(1f + fresh[i], acc[i], 6);
    }
}
