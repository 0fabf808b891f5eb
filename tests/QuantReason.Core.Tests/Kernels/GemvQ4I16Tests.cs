using QuantReason.Kernels;
using QuantReason.Quantization;
using QuantReason.Tests.Quantization;
using QuantReason.Weights;

namespace QuantReason.Tests.Kernels;

/// <summary>The 4-bit GEMV on 16-bit integer activations: its lane order, its arrangement of x, its exact integer sums,
/// and its stated bound against the f32 definition.</summary>
public class GemvQ4I16Tests
{
    [Fact]
    public void LanesCoverEachChunkColumnOnceInThePackedOrder()
    {
        var seen = new bool[128];
        for (int l = 0; l < 64; l++)
        {
            // byte l = 4j + b of the chunk: low nibble = field 2b of word j, high nibble = field 2b + 1
            int j = l / 4, b = l % 4;
            foreach (var (field, col) in new[] { (2 * b, GemvQ4I16.EvenColumn(l)), (2 * b + 1, GemvQ4I16.EvenColumn(l) + 8) })
            {
                Assert.Equal(j / 8 * 64 + field * 8 + j % 8, col); // PackedCodes: field n of word j = column n·8 + j per block
                Assert.False(seen[col]);
                seen[col] = true;
            }
        }
        Assert.All(seen, Assert.True);
    }

    [Theory]
    [InlineData(128, 512)]
    [InlineData(256, 1024)]
    public void ArrangementEqualsItsScalarDefinition(int group, int length)
    {
        if (!GemvQ4I16.IsSupported) return;
        var x = TestData.Gaussian(new Random(length + group), length);
        x[5] = 0; x[130] = -x[131];
        int groups = length / group;
        var (s1, a1) = (new float[groups], new sbyte[length / 128 * 256]);
        var (s2, a2) = (new float[groups], new sbyte[length / 128 * 256]);
        GemvQ4I16.ArrangeReference(x, group, s1, a1);
        GemvQ4I16.Arrange(x, group, s2, a2);
        Assert.Equal(s1, s2);
        Assert.Equal(a1, a2);
        // x̃ = 256·hi + lo stays in [−32639, 32639] and x̃·xscale is x within half a step
        for (int c = 0; c < length / 128; c++)
            for (int l = 0; l < 64; l++)
            {
                int q = 256 * a1[c * 256 + l] + a1[c * 256 + 128 + l];
                int k = c * 128 + GemvQ4I16.EvenColumn(l);
                float sc = s1[k / group];
                Assert.InRange(q, -GemvQ4I16.MaxInt, GemvQ4I16.MaxInt);
                Assert.True(Math.Abs(q * (double)sc - x[k]) <= sc * 0.5001, $"x[{k}] = {x[k]}: x̃ = {q}, step {sc}");
            }
    }

    [Theory]
    [InlineData(128, 260, 1024)] // 4-row tiles plus a tail
    [InlineData(-1, 64, 2048)]   // per channel: 16 chunks per group
    public void StaysWithinItsBoundOfTheF32Definition(int group, int outF, int inF)
    {
        if (!GemvQ4I16.IsSupported) return;
        var rng = new Random(outF + inF);
        var w = QuantizedLinear.Pack(Rtn.Quantize(TestData.Gaussian(rng, outF * inF), outF, inF, QuantFormat.Int(4, group, sym: false)));
        Assert.True(GemvQ4I16.Supports(w.Rows));
        int gl = group < 0 ? inF : group;
        var x = TestData.Gaussian(rng, inF);
        x[3] *= 40; // an outlier: coarse steps for its group
        var y = new float[outF];
        var r = new float[outF];
        GemvQ4I16.Run(w.Rows, x, y);
        GemvQxF32.Reference(w.Rows, x, r);
        var xscale = new float[inF / gl];
        GemvQ4I16.ArrangeReference(x, gl, xscale, new sbyte[inF / 128 * 256]);
        var t = w.Unpack();
        double worst = 0;
        for (int o = 0; o < outF; o++)
        {
            double mag = 0;
            for (int k = 0; k < inF; k++) mag += Math.Abs(x[k] * t.Scales[o * t.GroupCount + k / gl] * t.Codes[o * inF + k]);
            double bound = GemvQ4I16.ErrorBound(w.Rows, xscale, o) + 1e-6 * mag;
            Assert.True(Math.Abs(y[o] - r[o]) <= bound, $"[{o}] {y[o]} vs {r[o]}: {Math.Abs(y[o] - r[o])} > {bound}");
            worst = Math.Max(worst, Math.Abs(y[o] - r[o]) / mag);
        }
        Assert.True(worst < 1e-4, $"relative error {worst}"); // the model-level tolerance, with room
    }
}
