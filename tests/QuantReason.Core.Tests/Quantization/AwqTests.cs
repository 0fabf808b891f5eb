using QuantReason.Quantization;
using QuantReason.Quantization.LinAlg;
using QuantReason.Weights;

namespace QuantReason.Tests.Quantization;

public class AwqTests
{
    [Theory]
    [InlineData(1, 4)]
    [InlineData(2, 4)]
    [InlineData(3, 3)]
    public void BeatsRtnOnOutlierHeavyInputs(int seed, int bits)
    {
        var rng = new Random(seed);
        int inF = 256, tokens = 256;
        int[] outs = [96, 64]; // two linears sharing one input, as q/k/v or gate/up do
        var x = TestData.WithOutlierColumns(rng, tokens, inF, 6, 25f);
        var ws = outs.Select(o => TestData.Gaussian(rng, o * inF, 0.05f)).ToArray();
        var result = Awq.Quantize(ws, outs, inF, x, tokens, new AwqOptions(bits, 128));

        double rtn = 0, awq = 0;
        var xs = new float[x.Length]; // X/s: what the folded previous op now produces
        for (int t = 0; t < tokens; t++)
            for (int k = 0; k < inF; k++) xs[t * inF + k] = x[t * inF + k] / result.InputScales[k];
        for (int i = 0; i < ws.Length; i++)
        {
            var reference = MatMul.XWt(x, tokens, ws[i], outs[i], inF);
            var q = Rtn.FakeQuantize(ws[i], outs[i], inF, QuantFormat.Int(bits, 128, false));
            rtn += MatMul.SquaredError(MatMul.XWt(x, tokens, q, outs[i], inF), reference);
            awq += MatMul.SquaredError(MatMul.XWt(xs, tokens, result.Quantized[i].Dequantize(), outs[i], inF), reference);
        }
        Assert.True(awq < rtn, $"AWQ {awq} vs RTN {rtn}");
        Assert.InRange(awq, result.OutputError * 0.999, result.OutputError * 1.001);
        Assert.True(result.Alpha > 0, "outlier channels should pull α above 0");
    }

    [Fact]
    public void ScalesAreNormalisedAroundOne()
    {
        var s = Awq.Scales([0.01, 1, 100], 0.5);
        Assert.Equal(1.0, Math.Sqrt(s.Max() * s.Min()), 5);
        Assert.True(s[0] < s[1] && s[1] < s[2]);
    }

    [Fact]
    public void TooFewTokensIsAClearError()
    {
        var ex = Assert.Throws<QuantReasonException>(() =>
            Awq.Quantize([new float[8 * 128]], [8], 128, new float[4 * 128], 4, new AwqOptions(), "model.layers.2.mlp.up_proj"));
        Assert.Contains("model.layers.2.mlp.up_proj", ex.Message);
        Assert.Contains("too few calibration tokens", ex.Message);
    }
}
