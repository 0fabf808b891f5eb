using System.Runtime.InteropServices;
using QuantReason.Quantization;
using QuantReason.Tensors;
using QuantReason.Weights;
using QuantReason.Tests;
using QuantReason.Tests.Quantization;

namespace QuantReason.Tests.Weights;

public class GptqCheckpointTests
{
    static uint[] Words(TensorData t) => MemoryMarshal.Cast<byte, uint>(t.Data.Span).ToArray();

    /// <summary>4-bit, 8 inputs × 8 outputs, per channel: code[o, k] = o + k, zero[o] = o + 1, scale 0.5.</summary>
    static QuantizedTensor Hand4()
    {
        var codes = new byte[64];
        for (int o = 0; o < 8; o++) for (int k = 0; k < 8; k++) codes[o * 8 + k] = (byte)(o + k);
        var zeros = Enumerable.Range(1, 8).Select(z => (float)z).ToArray();
        return new QuantizedTensor(QuantFormat.Int(4, -1, false), 8, 8, codes, Enumerable.Repeat(0.5f, 8).ToArray(), zeros, new int[8]);
    }

    [Fact]
    public void FourBitPackingMatchesHandComputedWords()
    {
        var v2 = GptqCheckpoint.Write("l", Hand4(), GptqCheckpointFormat.V2).ToDictionary(t => t.Name);
        // qweight [K·4/32 = 1, N = 8]: column o holds codes o, o+1, …, o+7 in nibbles 0…7 (lowest k lowest bits).
        Assert.Equal([1L, 8L], v2["l.qweight"].Shape);
        Assert.Equal(new uint[] { 0x76543210, 0x87654321, 0x98765432, 0xA9876543, 0xBA987654, 0xCBA98765, 0xDCBA9876, 0xEDCBA987 },
            Words(v2["l.qweight"]));
        // qzeros [1 group, N·4/32 = 1]: zeros 1…8 along out_features; v2 stores them, v1 stores zero − 1.
        Assert.Equal(new uint[] { 0x87654321 }, Words(v2["l.qzeros"]));
        var v1 = GptqCheckpoint.Write("l", Hand4(), GptqCheckpointFormat.V1).ToDictionary(t => t.Name);
        Assert.Equal(new uint[] { 0x76543210 }, Words(v1["l.qzeros"]));
        Assert.Equal(new ushort[] { 0x3800, 0x3800, 0x3800, 0x3800, 0x3800, 0x3800, 0x3800, 0x3800 }, MemoryMarshal.Cast<byte, ushort>(v1["l.scales"].Data.Span).ToArray());
    }

    [Fact]
    public void ThreeBitValuesStraddleWordsAsHandComputed()
    {
        // 32 inputs × 32 outputs, code[o, k] = k mod 8, symmetric zero 4. Eight 3-bit values 0…7 form the 24-bit
        // pattern 0o76543210 = 0xFAC688; 32 values are that pattern four times over 96 bits = 3 words:
        // word0 = 0xFAC688 | 0x88 << 24, word1 = 0xFAC6 | 0xC688 << 16, word2 = 0xFA | 0xFAC688 << 8.
        var codes = new byte[32 * 32];
        for (int o = 0; o < 32; o++) for (int k = 0; k < 32; k++) codes[o * 32 + k] = (byte)(k % 8);
        var t = new QuantizedTensor(QuantFormat.Int(3, 32, true), 32, 32, codes, Enumerable.Repeat(0.25f, 32).ToArray(),
            Enumerable.Repeat(4f, 32).ToArray(), new int[32]);
        var v2 = GptqCheckpoint.Write("l", t, GptqCheckpointFormat.V2).ToDictionary(x => x.Name);
        var qw = Words(v2["l.qweight"]);
        Assert.Equal([3L, 32L], v2["l.qweight"].Shape);
        for (int o = 0; o < 32; o++)
        {
            Assert.Equal(0x88FAC688u, qw[0 * 32 + o]);
            Assert.Equal(0xC688FAC6u, qw[1 * 32 + o]);
            Assert.Equal(0xFAC688FAu, qw[2 * 32 + o]);
        }
        // Zeros 4 = 0b100 repeated: 0o44444444 = 0x924924 per 8 values; v1 stores 3 = 0o33333333 = 0x6DB6DB.
        Assert.Equal(new uint[] { 0x24924924, 0x49249249, 0x92492492 }, Words(v2["l.qzeros"]));
        var v1 = GptqCheckpoint.Write("l", t, GptqCheckpointFormat.V1).ToDictionary(x => x.Name);
        Assert.Equal(new uint[] { 0xDB6DB6DB, 0xB6DB6DB6, 0x6DB6DB6D }, Words(v1["l.qzeros"]));
    }

    public static TheoryData<int, int, bool, bool> Settings() => new()
    {
        { 2, 32, false, false }, { 3, 64, true, false }, { 4, 128, false, true }, { 4, -1, true, false }, { 8, 32, false, true },
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public void WrittenCheckpointReadsBackBitExactly(int bits, int group, bool sym, bool actOrder)
    {
        var rng = new Random(bits * 100 + group);
        int n = 64, k = 256;
        var w = TestData.Gaussian(rng, n * k);
        var x = TestData.Gaussian(rng, 300 * k);
        var h = new Hessian(k);
        h.Add(x, 300);
        var t = Gptq.Quantize(w, n, k, h, new GptqOptions(bits, group, sym, actOrder)).Quantized;
        // Scales become fp16 on disk; round them first so the comparison is of the layout, not the dtype.
        t = t with { Scales = t.Scales.Select(s => (float)(Half)s).ToArray() };
        foreach (var zf in new[] { GptqCheckpointFormat.V1, GptqCheckpointFormat.V2 })
        {
            if (zf == GptqCheckpointFormat.V1 && t.Zeros.Any(z => z == 0)) continue; // not representable in v1 (tested below)
            using var tmp = new TempSafeTensors(GptqCheckpoint.Write("model.layers.0.mlp.up_proj", t, zf));
            var cfg = new GptqConfig(bits, group, actOrder, sym, CheckpointFormat: zf == GptqCheckpointFormat.V2 ? "gptq_v2" : "gptq");
            var back = GptqCheckpoint.Read(tmp.File, "model.layers.0.mlp.up_proj", cfg);
            Assert.Equal(t.Codes, back.Codes);
            Assert.Equal(t.Zeros, back.Zeros);
            Assert.Equal(t.Scales, back.Scales);
            Assert.Equal(t.GIdx, back.GIdx);
            Assert.Equal(t.Dequantize(), back.Dequantize());
            // And the packed kernel runs it: the same outputs as the dequantized matrix.
            var lin = QuantizedLinear.Pack(back);
            Assert.Equal(back.Dequantize(), lin.ToF32());
        }
    }

    [Fact]
    public void ZeroPointZeroIsRefusedInV1()
    {
        var t = Hand4() with { Zeros = new float[8] };
        var ex = Assert.Throws<QuantReasonException>(() => GptqCheckpoint.Write("layers.1.q", t, GptqCheckpointFormat.V1).ToList());
        Assert.Contains("layers.1.q", ex.Message);
        Assert.Contains("gptq_v2", ex.Message);
    }

    [Fact]
    public void CorruptTensorsAreClearErrors()
    {
        var good = GptqCheckpoint.Write("p", Hand4(), GptqCheckpointFormat.V2).ToList();
        var cfg = new GptqConfig(4, -1, Sym: false, CheckpointFormat: "gptq_v2");
        // qweight stored as f32 instead of int32.
        var wrongDtype = good.Select(t => t.Name == "p.qweight" ? t with { DType = DType.F32 } : t);
        using (var tmp = new TempSafeTensors(wrongDtype))
        {
            var ex = Assert.Throws<QuantReasonException>(() => GptqCheckpoint.Read(tmp.File, "p", cfg));
            Assert.Contains("p.qweight", ex.Message);
        }
        // qzeros with the wrong number of columns.
        var wrongShape = good.Select(t => t.Name == "p.qzeros" ? new TensorData("p.qzeros", DType.I32, [1, 2], new byte[8]) : t);
        using (var tmp = new TempSafeTensors(wrongShape))
        {
            var ex = Assert.Throws<QuantReasonException>(() => GptqCheckpoint.Read(tmp.File, "p", cfg));
            Assert.Contains("p.qzeros", ex.Message);
        }
        // Missing scales.
        using (var tmp = new TempSafeTensors(good.Where(t => t.Name != "p.scales")))
            Assert.Contains("p.scales", Assert.Throws<QuantReasonException>(() => GptqCheckpoint.Read(tmp.File, "p", cfg)).Message);
    }

    [Fact]
    public void ConfigDefaultsSymToTrueAndReadsTheFormat()
    {
        var c = GptqConfig.Parse("""{"bits": 4, "group_size": 128, "desc_act": true, "quant_method": "gptq", "checkpoint_format": "gptq_v2"}""", "cfg");
        Assert.True(c.Sym);
        Assert.True(c.DescAct);
        Assert.Equal(GptqCheckpointFormat.V2, c.Zeros);
        Assert.Equal(GptqCheckpointFormat.V1, GptqConfig.Parse("""{"bits": 4, "group_size": 128}""", "cfg").Zeros);
        Assert.Contains("cfg", Assert.Throws<QuantReasonException>(() => GptqConfig.Parse("{bits", "cfg")).Message);
    }
}
