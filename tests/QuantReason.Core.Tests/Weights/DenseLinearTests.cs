using QuantReason.Models;
using QuantReason.Tensors;
using QuantReason.Weights;
using QuantReason.Tests;
using QuantReason.Tests.Models;

namespace QuantReason.Tests.Weights;

/// <summary>A dense weight's forward for few and many tokens (every register tile and tail) against
/// a plain double-precision product, for each storage precision.</summary>
public class DenseLinearTests
{
    [Theory]
    [InlineData(1, 37, 70), InlineData(7, 64, 33), InlineData(8, 64, 33), InlineData(19, 300, 129), InlineData(40, 520, 96)]
    public void ForwardEqualsReferenceProductForEveryPath(int tokens, int outF, int inF)
    {
        var r = new Random(tokens * 1000 + outF);
        float[] w = Enumerable.Range(0, outF * inF).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
        float[] x = Enumerable.Range(0, tokens * inF).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
        var bf16 = w.Select(DTypes.F32ToBF16).ToArray();
        foreach (var (layer, weights) in new[]
                 {
                     (DenseLinear.FromF32(w, outF, inF), w),
                     (DenseLinear.FromBF16(bf16, outF, inF), bf16.Select(DTypes.BF16ToF32).ToArray()),
                 })
        {
            var y = new float[tokens * outF];
            layer.Forward(x, y, tokens);
            for (int t = 0; t < tokens; t++)
                for (int o = 0; o < outF; o++)
                {
                    double s = 0;
                    for (int i = 0; i < inF; i++) s += (double)weights[o * inF + i] * x[t * inF + i];
                    Assert.True(Math.Abs(s - y[t * outF + o]) <= 1e-5 * inF, $"{layer.Format} [{t},{o}]: {y[t * outF + o]} vs {s}");
                }
        }
    }
}
