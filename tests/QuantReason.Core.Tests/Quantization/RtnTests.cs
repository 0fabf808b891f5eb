using QuantReason.Quantization;
using QuantReason.Weights;

namespace QuantReason.Tests.Quantization;

public class RtnTests
{
    [Fact]
    public void RangeAlwaysContainsZero()
    {
        // All-positive group, asymmetric: xmin is clamped to 0, so zero = 0 and the grid starts at 0.
        var p = Rtn.FindParams([1f, 2f, 3f], 2, sym: false);
        Assert.Equal(1f, p.Scale);   // (3 − 0)/3
        Assert.Equal(0f, p.Zero);
        // All-negative group, asymmetric: xmax is clamped to 0.
        var n = Rtn.FindParams([-3f, -1.5f], 2, sym: false);
        Assert.Equal(1f, n.Scale);
        Assert.Equal(3f, n.Zero);
    }

    [Fact]
    public void AllZeroGroupGetsUnitRange()
    {
        var p = Rtn.FindParams([0f, 0f, 0f, 0f], 4, sym: false);
        Assert.Equal(2f / 15, p.Scale); // range [−1, 1]
        Assert.Equal(MathF.Round(1f / (2f / 15)), p.Zero);
        Assert.Equal(0f, p.Quantize(0f, 15), 6);
    }

    [Fact]
    public void SymmetricUsesTheMidpointZero()
    {
        var p = Rtn.FindParams([-2f, 1f], 4, sym: true);
        Assert.Equal(4f / 15, p.Scale); // xmax = max(|−2|, 1) = 2, range [−2, 2]
        Assert.Equal(8f, p.Zero);
    }

    [Fact]
    public void RoundsHalfToEvenLikeTorch()
    {
        var p = new QuantParams(1f, 0f);
        Assert.Equal(2, p.Code(2.5f, 15));
        Assert.Equal(4, p.Code(3.5f, 15));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void MseClipNeverLosesToMinMaxInItsOwnNorm(int bits)
    {
        var rng = new Random(bits);
        for (int trial = 0; trial < 20; trial++)
        {
            var x = TestData.Gaussian(rng, 128);
            x[rng.Next(128)] *= 6; // an outlier makes clipping worth it
            var mse = new MseClip();
            var plain = Rtn.FindParams(x, bits, false);
            var clipped = Rtn.FindParams(x, bits, false, mse);
            double Err(QuantParams p) => x.Sum(v => Math.Pow(Math.Abs(p.Quantize(v, (1 << bits) - 1) - v), mse.Norm));
            Assert.True(Err(clipped) <= Err(plain) * (1 + 1e-6));
        }
    }

    [Fact]
    public void BadShapesNameTheLayer()
    {
        var f = QuantFormat.Int(4, 128, false);
        var ex = Assert.Throws<QuantReasonException>(() => Rtn.Quantize(new float[4 * 320], 4, 320, f, "model.layers.5.mlp.down_proj"));
        Assert.Contains("model.layers.5.mlp.down_proj", ex.Message);
        Assert.Contains("does not divide", ex.Message);
        Assert.Throws<QuantReasonException>(() => Rtn.Quantize(new float[10], 4, 128, f, "x"));
    }
}
