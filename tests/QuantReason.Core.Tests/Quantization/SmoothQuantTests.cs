using QuantReason.Quantization;
using QuantReason.Quantization.LinAlg;
using QuantReason.Weights;

namespace QuantReason.Tests.Quantization;

public class SmoothQuantTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void BeatsPlainW8A8OnOutlierHeavyInputs(int seed)
    {
        var rng = new Random(seed);
        int inF = 256, outF = 128, tokens = 128;
        var x = TestData.WithOutlierColumns(rng, tokens, inF, 4, 60f);
        var w = TestData.Gaussian(rng, outF * inF, 0.05f);
        var reference = MatMul.XWt(x, tokens, w, outF, inF);

        var plain = W8A8Linear.Quantize(w, outF, inF);
        var yPlain = new float[tokens * outF];
        plain.Forward(x, yPlain, tokens);

        var sq = SmoothQuant.Quantize([w], [outF], inF, x, tokens, 0.5);
        var xs = new float[x.Length];
        for (int t = 0; t < tokens; t++)
            for (int k = 0; k < inF; k++) xs[t * inF + k] = x[t * inF + k] / sq.InputScales[k];
        var ySq = new float[tokens * outF];
        sq.Layers[0].Forward(xs, ySq, tokens);

        double ePlain = MatMul.SquaredError(yPlain, reference), eSq = MatMul.SquaredError(ySq, reference);
        Assert.True(eSq < ePlain, $"SmoothQuant {eSq} vs plain W8A8 {ePlain}");
    }

    [Fact]
    public void ScalesFollowTheFormula()
    {
        var s = SmoothQuant.Scales([4f, 9f], [new float[] { 1f, -16f, 0.5f, 4f }], [2], 2, 0.5);
        // s_j = √max|X_j| / √max|W_j|: channel 0: √4/√1 = 2; channel 1: √9/√16 = 0.75.
        Assert.Equal(2f, s[0], 5);
        Assert.Equal(0.75f, s[1], 5);
    }

    [Fact]
    public void BadSettingsAreClearErrors()
    {
        Assert.Contains("layers.0.attn", Assert.Throws<QuantReasonException>(() =>
            SmoothQuant.Quantize([new float[16 * 8]], [16], 8, new float[8 * 8], 8, 0.5, layer: "layers.0.attn")).Message);
        Assert.Throws<QuantReasonException>(() => SmoothQuant.Quantize([new float[16 * 8]], [16], 8, new float[64 * 8], 64, 1.5));
    }
}
