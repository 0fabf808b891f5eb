using QuantReason.Quantization;
using QuantReason.Tensors;
using QuantReason.Weights;
using QuantReason.Tests;
using QuantReason.Tests.Quantization;

namespace QuantReason.Tests.Weights;

public class PackedCheckpointTests
{
    [Fact]
    public void TritPackingMatchesTheDocumentedLayout()
    {
        // Trits −1, 0, 1, 1 → codes 0, 1, 2, 2 in bits 0-1, 2-3, 4-5, 6-7: 0b10_10_01_00 = 0xA4.
        Assert.Equal(new byte[] { 0xA4 }, PackedCheckpoint.PackTrits([-1, 0, 1, 1]));
        Assert.Equal(new sbyte[] { -1, 0, 1, 1 }, PackedCheckpoint.UnpackTrits([0xA4], 4, "t"));
        Assert.Contains("code 3", Assert.Throws<QuantReasonException>(() => PackedCheckpoint.UnpackTrits([0xFF], 4, "t")).Message);
    }

    [Fact]
    public void TritPlanesReadBackBitExactly()
    {
        var w = Ptqtp.Quantize(TestData.Gaussian(new Random(1), 16 * 256), 16, 256, QuantFormat.Parse("ptqtp_g64"));
        using var tmp = new TempSafeTensors(PackedCheckpoint.WriteTritPlanes("model.layers.0.mlp.gate_proj", w));
        var back = PackedCheckpoint.ReadTritPlanes(tmp.File, "model.layers.0.mlp.gate_proj", PackedQuantConfig.Ptqtp(64));
        var (a1, a2, a3, a4) = w.Unpack();
        var (b1, b2, b3, b4) = back.Unpack();
        Assert.Equal(a1, b1); Assert.Equal(a2, b2); Assert.Equal(a3, b3); Assert.Equal(a4, b4);
    }

    [Fact]
    public void W8A8ReadsBackBitExactlyAndRejectsCorruptTensors()
    {
        var w = W8A8Linear.Quantize(TestData.Gaussian(new Random(2), 8 * 64), 8, 64);
        var tensors = PackedCheckpoint.WriteW8A8("l", w).ToList();
        using (var tmp = new TempSafeTensors(tensors))
        {
            var back = PackedCheckpoint.ReadW8A8(tmp.File, "l");
            Assert.Equal(w.Codes, back.Codes);
            Assert.Equal(w.Scales, back.Scales);
        }
        var bad = tensors.Select(t => t.Name == "l.weight_scale" ? TensorData.F32("l.weight_scale", new float[4], 4) : t);
        using (var tmp = new TempSafeTensors(bad))
            Assert.Contains("l.weight_scale", Assert.Throws<QuantReasonException>(() => PackedCheckpoint.ReadW8A8(tmp.File, "l")).Message);
    }
}
