using QuantReason.Quantization;

namespace QuantReason.Tests.Quantization;

public class HessianTests
{
    public static TheoryData<string> Fixtures() => Shared.Folders("fixtures", "gptq");

    [SharedTheory]
    [MemberData(nameof(Fixtures))]
    public void HessianMatchesTheReferenceUpToScale(string name)
    {
        var f = GptqTests.Load(name);
        var h = new Hessian(f.In);
        // Streamed in uneven batches: the running rescale must give the same H as one pass.
        for (int t0 = 0, step = 100; t0 < f.N; t0 += step)
        {
            int rows = Math.Min(step, f.N - t0);
            h.Add(f.X.AsSpan(t0 * f.In, rows * f.In), rows);
        }
        var ours = h.ToMatrix();
        // The reference counts samples differently (H = 2/n·XᵀX with its own n); GPTQ is invariant to that scale.
        double scale = f.H[0] / ours[0];
        double worst = 0, norm = f.H.Max(Math.Abs);
        for (int i = 0; i < ours.Length; i++) worst = Math.Max(worst, Math.Abs(ours[i] * scale - f.H[i]));
        Assert.True(worst <= 1e-5 * norm, $"max deviation {worst} of {norm}");
    }

    /// <summary>H = 2/n·XᵀX with n the samples counted (not the rows), against an f64 triple loop, on a width that is
    /// no multiple of any SIMD panel and batches of 1, 6 and 31 rows.</summary>
    [Fact]
    public void IsTwoOverTheSamplesTimesXTransposeX()
    {
        const int cols = 37;
        var x = TestData.Gaussian(new Random(5), 38 * cols);
        var h = new Hessian(cols);
        h.Add(x.AsSpan(0, cols), 1, samples: 1);
        h.Add(x.AsSpan(cols, 6 * cols), 6, samples: 2);
        h.Add(x.AsSpan(7 * cols), 31, samples: 1);
        Assert.Equal(4, h.Samples);
        Assert.Equal(38, h.Tokens);
        var ours = h.ToMatrix();
        for (int i = 0; i < cols; i++)
            for (int j = 0; j < cols; j++)
            {
                double s = 0;
                for (int t = 0; t < 38; t++) s += (double)x[t * cols + i] * x[t * cols + j];
                Assert.True(Math.Abs(ours[i * cols + j] - 2.0 / 4 * s) <= 1e-5 * (1 + Math.Abs(s)), $"H[{i},{j}] = {ours[i * cols + j]}, expected {2.0 / 4 * s}");
            }
        // The last reader takes H in the sum's own storage: the same values, and the Hessian is spent.
        Assert.Equal(ours, h.TakeMatrix());
        Assert.Throws<InvalidOperationException>(() => h.Add(x.AsSpan(0, cols), 1));
    }

    [Fact]
    public void StreamingEqualsOnePassForAnySplit()
    {
        var x = TestData.Gaussian(new Random(3), 300 * 40);
        var once = new Hessian(40);
        once.Add(x, 300);
        var parts = new Hessian(40);
        parts.Add(x.AsSpan(0, 7 * 40), 7);
        parts.Add(x.AsSpan(7 * 40, 250 * 40), 250);
        parts.Add(x.AsSpan(257 * 40), 43);
        var a = once.ToMatrix();
        var b = parts.ToMatrix();
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 4);
        Assert.Equal(300, parts.Tokens);
        for (int i = 0; i < 40; i++) for (int j = 0; j < 40; j++) Assert.Equal(a[i * 40 + j], a[j * 40 + i]);
    }
}
