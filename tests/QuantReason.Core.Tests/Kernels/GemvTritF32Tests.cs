using QuantReason.Quantization;
using QuantReason.Tests.Quantization;
using QuantReason.Weights;

namespace QuantReason.Tests.Kernels;

/// <summary>The trit-plane add/subtract GEMV on a layer-sized shape against the f64 definition.</summary>
public class GemvTritF32Tests
{
    [Theory]
    [InlineData("ptqtp_g128", 70, 1024)]
    [InlineData("ptqtp", 33, 768)]
    public void SimdAndPortableMatchTheDefinition(string name, int outF, int inF)
    {
        var rng = new Random(outF);
        var w = Ptqtp.Quantize(TestData.Gaussian(rng, outF * inF), outF, inF, QuantFormat.Parse(name));
        var deq = w.ToF32();
        var x = TestData.Gaussian(rng, inF);
        var ys = new float[outF];
        var yp = new float[outF];
        var yr = new float[outF];
        w.Forward(x, ys, 1, allowSimd: true);
        w.Forward(x, yp, 1, allowSimd: false);
        w.ForwardReference(x, yr, 1);
        for (int o = 0; o < outF; o++)
        {
            double mag = 0;
            for (int k = 0; k < inF; k++) mag += Math.Abs(x[k] * deq[o * inF + k]);
            Assert.True(Math.Abs(ys[o] - yr[o]) <= 1e-5 * mag + 1e-6, $"simd {o}");
            Assert.True(Math.Abs(yp[o] - yr[o]) <= 1e-5 * mag + 1e-6, $"portable {o}");
        }
    }
}
