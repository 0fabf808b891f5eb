using System.Runtime.InteropServices;
using QuantReason.Quantization;
using QuantReason.Weights;
using QuantReason.Tests;
using QuantReason.Tests.Quantization;

namespace QuantReason.Tests.Weights;

public class AwqCheckpointTests
{
    /// <summary>32 inputs × 8 outputs, group 32: code[o, k] = (o + k) mod 16, zero[o] = o + 1, scale 0.25.</summary>
    static QuantizedTensor Hand()
    {
        var codes = new byte[8 * 32];
        for (int o = 0; o < 8; o++) for (int k = 0; k < 32; k++) codes[o * 32 + k] = (byte)((o + k) % 16);
        return new QuantizedTensor(QuantFormat.Int(4, 32, false), 8, 32, codes, Enumerable.Repeat(0.25f, 8).ToArray(),
            Enumerable.Range(1, 8).Select(z => (float)z).ToArray(), new int[32]);
    }

    [Fact]
    public void PackingMatchesHandComputedWords()
    {
        var t = AwqCheckpoint.Write("l", Hand()).ToDictionary(x => x.Name);
        var qw = MemoryMarshal.Cast<byte, uint>(t["l.qweight"].Data.Span).ToArray();
        Assert.Equal([32L, 1L], t["l.qweight"].Shape);
        // Row k = 0 holds columns 0…7 = codes 0…7, nibble i taking column [0,2,4,6,1,3,5,7][i]: 0,2,4,6,1,3,5,7 → 0x75316420.
        Assert.Equal(0x75316420u, qw[0]);
        // Row k = 1: codes 1…8 in the same order: 1,3,5,7,2,4,6,8 → 0x86427531.
        Assert.Equal(0x86427531u, qw[1]);
        // Zeros 1…8 stored as is (no −1): 0x86427531.
        Assert.Equal(new uint[] { 0x86427531 }, MemoryMarshal.Cast<byte, uint>(t["l.qzeros"].Data.Span).ToArray());
    }

    [Fact]
    public void WrittenCheckpointReadsBackBitExactly()
    {
        var rng = new Random(3);
        var w = TestData.Gaussian(rng, 64 * 256);
        var t = Rtn.Quantize(w, 64, 256, QuantFormat.Int(4, 128, false));
        t = t with { Scales = t.Scales.Select(s => (float)(Half)s).ToArray() };
        using var tmp = new TempSafeTensors(AwqCheckpoint.Write("model.layers.0.self_attn.q_proj", t));
        var back = AwqCheckpoint.Read(tmp.File, "model.layers.0.self_attn.q_proj", new AwqConfig(4, 128));
        Assert.Equal(t.Codes, back.Codes);
        Assert.Equal(t.Zeros, back.Zeros);
        Assert.Equal(t.Scales, back.Scales);
        Assert.Equal(t.Dequantize(), back.Dequantize());
    }

    [Fact]
    public void NonFourBitAndActOrderAreRefused()
    {
        var t = Rtn.Quantize(TestData.Gaussian(new Random(1), 8 * 64), 8, 64, QuantFormat.Int(3, 32, false));
        Assert.Contains("layer7", Assert.Throws<QuantReasonException>(() => AwqCheckpoint.Write("layer7", t).ToList()).Message);
        var h = Hand() with { GIdx = Enumerable.Range(0, 32).Select(k => k % 2).ToArray(), Scales = new float[16], Zeros = new float[16] };
        Assert.Throws<QuantReasonException>(() => AwqCheckpoint.Write("layer8", h).ToList());
    }
}
