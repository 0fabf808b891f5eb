using QuantReason.Kernels;
using QuantReason.Quantization;
using QuantReason.Tests.Quantization;
using QuantReason.Weights;

namespace QuantReason.Tests.Kernels;

/// <summary>The fused group-dequant GEMV/GEMM on layer-sized shapes, multi-threaded, against the f64 definition.</summary>
public class GemvQxF32Tests
{
    [Theory]
    [InlineData(4, 128, 260, 1024)]  // block kernel, 4-row tiles plus a tail
    [InlineData(4, 32, 64, 512)]     // groups smaller than a packed block: chunk kernel
    [InlineData(2, 128, 96, 768)]
    [InlineData(3, 64, 96, 512)]     // two planes
    [InlineData(8, -1, 40, 1024)]
    public void GemvAndGemmMatchTheDefinition(int bits, int group, int outF, int inF)
    {
        var rng = new Random(bits * 7 + outF);
        var f = QuantFormat.Int(bits, group, sym: false);
        var w = QuantizedLinear.Pack(Rtn.Quantize(TestData.Gaussian(rng, outF * inF), outF, inF, f));
        var t = w.Unpack();
        foreach (int tokens in new[] { 1, 5, QuantizedLinear.GemmMinTokens }) // GEMV, GEMV per token, GEMM
        {
            var x = TestData.Gaussian(rng, tokens * inF);
            var y = new float[tokens * outF];
            var r = new float[tokens * outF];
            w.Forward(x, y, tokens);
            w.ForwardReference(x, r, tokens);
            for (int i = 0; i < y.Length; i++)
            {
                int o = i % outF, tk = i / outF;
                double mag = 0;
                for (int k = 0; k < inF; k++)
                {
                    int g = o * t.GroupCount + t.GIdx[k];
                    mag += Math.Abs(x[tk * inF + k]) * t.Scales[g] * (t.Codes[o * inF + k] + t.Zeros[g]);
                }
                Assert.True(Math.Abs(y[i] - r[i]) <= 1e-5 * mag + 1e-6, $"bits {bits} tokens {tokens} [{tk},{o}]: {y[i]} vs {r[i]}");
            }
        }
    }

    [Theory]
    [InlineData(4, 128, 36, 768)]
    [InlineData(8, -1, 22, 512)]
    [InlineData(2, -1, 12, 1024)]
    public void BlockKernelsOnBothWidthsMatchTheDefinition(int bits, int group, int outF, int inF)
    {
        if (!GemvQxF32.SimdAvailable) return;
        var rng = new Random(bits * 11 + outF);
        var w = QuantizedLinear.Pack(Rtn.Quantize(TestData.Gaussian(rng, outF * inF), outF, inF, QuantFormat.Int(bits, group, sym: false)));
        Assert.True(GemvQxF32.UsesBlockKernel(w.Rows));
        var x = TestData.Gaussian(rng, inF);
        var r = new float[outF];
        GemvQxF32.Reference(w.Rows, x, r);
        foreach (bool wide in new[] { false, true })
        {
            var y = new float[outF];
            GemvQxF32.Run(w.Rows, x, y, allow512: wide);
            double scale = r.Max(Math.Abs);
            for (int o = 0; o < outF; o++) Assert.True(Math.Abs(y[o] - r[o]) <= 1e-5 * scale, $"512-bit {wide} [{o}]: {y[o]} vs {r[o]}");
        }
    }

    [Fact]
    public void PairedBlocksHoldBothBlocksFieldByField()
    {
        // 4-bit: blocks of 64 columns; in a pair, field n's 16 lanes are columns 8n..8n+7 of each block.
        var x = Enumerable.Range(0, 256).Select(i => (float)i).ToArray();
        GemvQxF32.PairBlocks(x, x.Length, 4);
        for (int pair = 0; pair < 2; pair++)
            for (int n = 0; n < 8; n++)
                for (int j = 0; j < 16; j++)
                    Assert.Equal(pair * 128 + (j < 8 ? 0 : 64) + n * 8 + j % 8, x[pair * 128 + n * 16 + j]);
    }

    [Theory]
    [InlineData(4, 1024)]
    [InlineData(4, 200)]   // a tail shorter than a pair of blocks
    [InlineData(2, 768)]
    [InlineData(8, 136)]
    public void ArrangedActivationsEqualTheirScalarDefinition(int bits, int length)
    {
        var x = TestData.Gaussian(new Random(length), length);
        foreach (bool paired in new[] { false, true })
        {
            var expected = GemvQxF32.PrescaleX(x, bits);
            if (paired) GemvQxF32.PairBlocks(expected, length, bits);
            var got = new float[length];
            GemvQxF32.ArrangeX(x, bits, paired, got);
            Assert.Equal(expected, got);
        }
    }

    [Fact]
    public void PrescaledActivationsCancelExactly()
    {
        // x·2^(−b·n) times q·2^(b·n) must equal x·q bit for bit: the block kernel's premise.
        var x = TestData.Gaussian(new Random(1), 64);
        var xs = GemvQxF32.PrescaleX(x, 4);
        for (int k = 0; k < 64; k++)
        {
            int n = k % 64 / 8;
            for (int q = 0; q < 16; q++)
            {
                float inPlace = n == 7 ? q : q * MathF.ScaleB(1f, 4 * n);
                Assert.Equal(x[k] * q, xs[k] * inPlace);
            }
        }
    }

    [Fact]
    public void ActOrderWeightsPermuteActivations()
    {
        var rng = new Random(5);
        int outF = 32, inF = 256;
        var h = new Hessian(inF);
        h.Add(TestData.Gaussian(rng, 300 * inF), 300);
        var t = Gptq.Quantize(TestData.Gaussian(rng, outF * inF), outF, inF, h, new GptqOptions(4, 64, ActOrder: true)).Quantized;
        var w = QuantizedLinear.Pack(t);
        Assert.NotNull(w.Perm);
        var deq = t.Dequantize();
        var x = TestData.Gaussian(rng, inF);
        var y = new float[outF];
        w.Forward(x, y, 1);
        for (int o = 0; o < outF; o++)
        {
            double s = 0, mag = 0;
            for (int k = 0; k < inF; k++) { s += (double)x[k] * deq[o * inF + k]; mag += Math.Abs(x[k] * deq[o * inF + k]); }
            Assert.True(Math.Abs(y[o] - s) <= 1e-4 * mag + 1e-6, $"{o}: {y[o]} vs {s}");
        }
    }
}
