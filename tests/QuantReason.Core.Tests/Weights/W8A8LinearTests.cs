using QuantReason.Quantization;
using QuantReason.Weights;
using QuantReason.Tests;
using QuantReason.Tests.Quantization;

namespace QuantReason.Tests.Weights;

public class W8A8LinearTests
{
    [Fact]
    public void RowScaleIsTheLargestMagnitudeWhateverItsSign()
    {
        // The largest-magnitude element is negative: s must be 2/127, and every value within half a step.
        float[] v = [0.5f, -2f, 1f, 0.25f];
        var q = new sbyte[v.Length];
        float s = W8A8Linear.QuantizeRow(v, q);
        Assert.Equal(2f / 127f, s);
        Assert.Equal(-127, q[1]);
        for (int k = 0; k < v.Length; k++) Assert.True(Math.Abs(s * q[k] - v[k]) <= s / 2 + 1e-7f, $"element {k}");
    }

    [Fact]
    public void PerChannelWeightsReconstructWithinHalfAStep()
    {
        var rng = new Random(3);
        var w = TestData.Gaussian(rng, 16 * 64);
        var l = W8A8Linear.Quantize(w, 16, 64);
        var back = l.ToF32();
        for (int o = 0; o < 16; o++)
        {
            float amax = 0;
            for (int k = 0; k < 64; k++) amax = Math.Max(amax, Math.Abs(w[o * 64 + k]));
            Assert.Equal(amax / 127f, l.Scales[o]);
            for (int k = 0; k < 64; k++) Assert.True(Math.Abs(back[o * 64 + k] - w[o * 64 + k]) <= l.Scales[o] / 2 * 1.0001f);
        }
    }
}
