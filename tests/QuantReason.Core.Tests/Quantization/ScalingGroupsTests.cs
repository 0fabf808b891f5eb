using QuantReason.Models;
using QuantReason.Quantization;
using QuantReason.Quantization.LinAlg;

namespace QuantReason.Tests.Quantization;

public class ScalingGroupsTests
{
    [Theory]
    [InlineData(ArchitectureKind.Llama)]
    [InlineData(ArchitectureKind.Qwen2)]
    [InlineData(ArchitectureKind.Qwen3)]
    public void EveryLinearIsScaledByExactlyOneGroup(ArchitectureKind kind)
    {
        var scaled = ScalingGroups.For(kind).SelectMany(g => g.Projections).Select(WeightNames.Of).OrderBy(x => x).ToArray();
        Assert.Equal(WeightNames.Linears.OrderBy(x => x).ToArray(), scaled);
        // SmoothQuant smooths the RMSNorm-fed inputs: q/k/v and gate/up.
        Assert.Equal([[Projection.Q, Projection.K, Projection.V], [Projection.Gate, Projection.Up]],
            ScalingGroups.Smoothed(kind).Select(g => g.Projections));
    }

    [Fact]
    public void FoldingLeavesTheFunctionUnchanged()
    {
        var rng = new Random(1);
        int hidden = 32, inter = 48, tokens = 5;
        var x = TestData.Gaussian(rng, tokens * hidden);
        var up = TestData.Gaussian(rng, inter * hidden);
        var upBias = TestData.Gaussian(rng, inter);
        var down = TestData.Gaussian(rng, hidden * inter);
        var s = TestData.Gaussian(rng, inter).Select(v => 0.5f + Math.Abs(v)).ToArray();

        float[] Run(float[] u, float[] ub, float[] d)
        {
            var h = MatMul.XWt(x, tokens, u, inter, hidden);
            for (int t = 0; t < tokens; t++) for (int j = 0; j < inter; j++) h[t * inter + j] += ub[j];
            return MatMul.XWt(h, tokens, d, hidden, inter);
        }
        var before = Run(up, upBias, down);
        var u2 = (float[])up.Clone(); var b2 = (float[])upBias.Clone(); var d2 = (float[])down.Clone();
        ScalingGroups.FoldIntoLinear(u2, inter, hidden, b2, s);
        ScalingGroups.ScaleInputs(d2, hidden, inter, s);
        var after = Run(u2, b2, d2);
        for (int i = 0; i < before.Length; i++) Assert.Equal(before[i], after[i], 3);

        var g = TestData.Gaussian(rng, hidden);
        var g2 = (float[])g.Clone();
        var sh = s.Take(hidden).ToArray();
        ScalingGroups.FoldIntoNorm(g2, sh);
        for (int k = 0; k < hidden; k++) Assert.Equal(g[k], g2[k] * sh[k], 5);
    }
}
