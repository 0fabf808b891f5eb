using QuantReason.Quantization;
using QuantReason.Quantization.LinAlg;
using QuantReason.Weights;

namespace QuantReason.Tests.Quantization;

public class PtqtpTests
{
    [Theory]
    [InlineData("ptqtp_g128", 128, 1)]
    [InlineData("ptqtp_g64", 64, 2)]
    [InlineData("ptqtp", -1, 3)]
    public void ReconstructsBetterThanTwoBitRtnAtTheSameGroupSize(string name, int group, int seed)
    {
        var rng = new Random(seed);
        int outF = 64, inF = 512;
        var w = TestData.WithOutlierColumns(rng, outF, inF, 4, 5f);
        var ptqtp = Ptqtp.Quantize(w, outF, inF, QuantFormat.Parse(name)).ToF32();
        double e = MatMul.SquaredError(ptqtp, w);
        foreach (var sym in new[] { false, true })
        {
            double rtn = MatMul.SquaredError(Rtn.FakeQuantize(w, outF, inF, QuantFormat.Int(2, group, sym)), w);
            Assert.True(e < rtn, $"PTQTP {e} vs 2-bit RTN (sym={sym}) {rtn}");
        }
    }

    [Fact]
    public void AlternatingUpdatesNeverIncreaseTheResidual()
    {
        // Fewer iterations can only leave a larger (or equal) residual: each α and T step is a closed-form minimiser.
        var w = TestData.Gaussian(new Random(7), 256);
        double Residual(int iters)
        {
            var t1 = new sbyte[256]; var t2 = new sbyte[256];
            var (a1, a2) = Ptqtp.FitGroup(w, t1, t2, new PtqtpOptions(MaxIterations: iters, Tolerance: 0));
            double s = 0;
            for (int k = 0; k < 256; k++) { double d = w[k] - (a1 * t1[k] + a2 * t2[k]); s += d * d; }
            return s;
        }
        double prev = double.PositiveInfinity;
        foreach (var it in new[] { 1, 2, 3, 5, 10, 50 })
        {
            double r = Residual(it);
            Assert.True(r <= prev * (1 + 1e-6), $"{it} iterations: {r} > {prev}");
            prev = r;
        }
    }

    [Fact]
    public void DegenerateGroupsStayFinite()
    {
        var t1 = new sbyte[32]; var t2 = new sbyte[32];
        var (a1, a2) = Ptqtp.FitGroup(new float[32], t1, t2, PtqtpOptions.Default);           // all zero
        Assert.True(float.IsFinite(a1) && float.IsFinite(a2));
        var (b1, b2) = Ptqtp.FitGroup(Enumerable.Repeat(0.3f, 32).ToArray(), t1, t2, PtqtpOptions.Default); // constant
        Assert.True(float.IsFinite(b1) && float.IsFinite(b2));
        for (int k = 0; k < 32; k++) Assert.Equal(0.3f, b1 * t1[k] + b2 * t2[k], 4);
    }
}
