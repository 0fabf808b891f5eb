using QuantReason.Kernels;
using QuantReason.Tests.Quantization;

namespace QuantReason.Tests.Kernels;

/// <summary>Rounding activations per token and group: the stated step bound, the range, the exact sums, and int8 codes
/// from elsewhere arranged without change.</summary>
public class IntActivationsTests
{
    [Theory]
    [InlineData(1, 4, 128)]
    [InlineData(2, 4, 128)]
    [InlineData(1, 8, 128)]
    [InlineData(2, 2, 256)]
    public void RoundsWithinHalfAStepPerGroup(int planes, int bits, int group)
    {
        int tokens = 3, inF = 768;
        var x = TestData.Gaussian(new Random(planes * bits), tokens * inF);
        x[100] = 40; // an outlier
        for (int k = 256; k < 256 + group; k++) x[inF + k] = 0; // an all-zero group
        var a = IntActivations.Quantize(x, tokens, inF, group, planes, bits);
        for (int t = 0; t < tokens; t++)
            for (int g = 0; g < a.Groups; g++)
            {
                float xs = a.Scales[t * a.Groups + g];
                long sum = 0;
                for (int k = g * group; k < (g + 1) * group; k++)
                {
                    int v = a.Value(t, k);
                    Assert.InRange(v, -a.MaxInt, a.MaxInt);
                    Assert.True(Math.Abs(x[t * inF + k] - a.Dequantized(t, k)) <= xs / 2 + 1e-6 * Math.Abs(x[t * inF + k]), $"[{t},{k}]"); // f32 rounding of x/xs
                    sum += v;
                }
                Assert.Equal(sum, a.Sums[t * a.Groups + g]);
            }
        Assert.Equal(0f, a.Scales[1 * a.Groups + 256 / group]);
        // the int16 copy the 512-bit kernel reads: the same values at the same lane positions
        int c = GemmQxI8.ChunkColumns(bits);
        for (int t = 0; t < tokens; t++)
            for (int at = 0; at < inF; at++)
                Assert.Equal(a.Value(t, at / c * c + IntActivations.Column(bits, at % c)), a.Wide[t * a.PaddedIn + at]);
    }

    [Fact]
    public void Int8CodesFromElsewhereKeepTheirValues()
    {
        int tokens = 2, inF = 256, group = 64;
        var rng = new Random(3);
        var codes = Enumerable.Range(0, tokens * inF).Select(_ => (sbyte)rng.Next(-127, 128)).ToArray();
        var scales = Enumerable.Range(0, tokens * inF / group).Select(i => 0.01f * (i + 1)).ToArray();
        var a = IntActivations.FromInt8(codes, scales, tokens, inF, group, bits: 4);
        for (int t = 0; t < tokens; t++)
            for (int k = 0; k < inF; k++) Assert.Equal(codes[t * inF + k], a.Value(t, k));
        Assert.Equal(codes.Take(group).Sum(c => (int)c), a.Sums[0]);
        codes[7] = sbyte.MinValue;
        Assert.Contains("channel 7", Assert.Throws<QuantReasonException>(() => IntActivations.FromInt8(codes, scales, tokens, inF, group, 4)).Message);
    }
}
