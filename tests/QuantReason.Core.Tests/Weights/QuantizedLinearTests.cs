using QuantReason.Quantization;
using QuantReason.Tests.Quantization;
using QuantReason.Weights;

namespace QuantReason.Tests.Weights;

/// <summary>Packing's choice of fp16 or f32 scales and zeros, and that the choice changes no result.</summary>
public class QuantizedLinearTests
{
    /// <summary>RTN codes with the scales and zeros rounded to fp16, as a GPTQ/AWQ checkpoint stores them.</summary>
    static QuantizedTensor Checkpointlike(int bits, int group, int outF, int inF, int seed)
    {
        var t = Rtn.Quantize(TestData.Gaussian(new Random(seed), outF * inF), outF, inF, QuantFormat.Int(bits, group, sym: false));
        return t with { Scales = t.Scales.Select(v => (float)(Half)v).ToArray(), Zeros = t.Zeros.Select(v => (float)(Half)v).ToArray() };
    }

    [Theory]
    [InlineData(4, 128, 14, 512)]
    [InlineData(8, -1, 9, 256)]
    [InlineData(3, 64, 6, 256)]
    public void Fp16ValuesAreStoredAsFp16BitForBitAndF32OnesAsF32(int bits, int group, int outF, int inF)
    {
        var t = Checkpointlike(bits, group, outF, inF, bits);
        var half = QuantizedLinear.Pack(t);
        Assert.True(half.HalfParams);
        var back = half.Unpack();
        Assert.Equal(t.Scales.Select(BitConverter.SingleToInt32Bits), back.Scales.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(t.Zeros.Select(BitConverter.SingleToInt32Bits), back.Zeros.Select(BitConverter.SingleToInt32Bits));

        var scales = (float[])t.Scales.Clone();
        scales[0] = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(scales[0]) + 1); // one value fp16 cannot hold
        var full = QuantizedLinear.Pack(t with { Scales = scales });
        Assert.False(full.HalfParams);
        Assert.Equal(scales[0], full.Unpack().Scales[0]);
        long paramCount = (outF + 3) / 4 * 4 * (long)t.GroupCount * 2;
        Assert.Equal(full.ByteSize - 2 * paramCount, half.ByteSize);
    }

    [Theory]
    [InlineData(4, 128, 14, 512)]  // GEMV with 16-bit activations, integer multi-token kernel, f32 GEMM
    [InlineData(8, -1, 9, 256)]
    [InlineData(4, 32, 10, 256)]   // block kernel and f32 GEMM (no integer kernel for 4-bit g32)
    [InlineData(3, 128, 6, 256)]
    public void Fp16ParamsGiveTheSameOutputsAsF32Ones(int bits, int group, int outF, int inF)
    {
        var t = Checkpointlike(bits, group, outF, inF, bits + outF);
        var half = QuantizedLinear.Pack(t);
        var scales = (float[])t.Scales.Clone();
        int last = (outF - 1) * t.GroupCount; // the last row's first scale, made f32-only: that row is left out below
        scales[last] = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(scales[last]) + 1);
        var full = QuantizedLinear.Pack(t with { Scales = scales });
        Assert.True(half.HalfParams && !full.HalfParams);
        foreach (int tokens in new[] { 1, QuantizedLinear.IntegerMinTokens + 1, QuantizedLinear.GemmMinTokens })
            foreach (bool simd in new[] { true, false })
            {
                var x = TestData.Gaussian(new Random(tokens), tokens * inF);
                var yh = new float[tokens * outF];
                var yf = new float[tokens * outF];
                half.Forward(x, yh, tokens, simd);
                full.Forward(x, yf, tokens, simd);
                for (int i = 0; i < yh.Length; i++)
                    if (i % outF != outF - 1) Assert.True(yh[i] == yf[i], $"tokens {tokens} simd {simd} [{i / outF},{i % outF}]: {yh[i]} vs {yf[i]}");
            }
    }
}
