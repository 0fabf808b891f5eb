using QuantReason.Tensors;

namespace QuantReason.Tests.Tensors;

public class GgufWriterTests
{
    /// <summary>The same content as <see cref="GgufFileTests.Sample"/>, through the writer under test.</summary>
    static GgufWriter Sample(uint alignment = 32)
    {
        var w = new GgufWriter(alignment)
            .Add("general.architecture", "llama")
            .Add("u8", (byte)200).Add("i8", (sbyte)-5).Add("u16", (ushort)65000).Add("i16", (short)-30000)
            .Add("u32", 4_000_000_000u).Add("i32", -123456).Add("f32", 0.25f).Add("bool", true)
            .Add("u64", 1UL << 40).Add("i64", -(1L << 40)).Add("f64", Math.PI)
            .Add("tokens", new[] { "a", "▁b", "<0x0A>", "" })
            .Add("ids", new[] { 1u, 2u, 3u })
            .Add("scores", new[] { -1f, 0.5f })
            .Add("flags", new[] { true, false })
            .Add("nested", new GgufArray(GgufValueType.Array, new[] { new GgufArray(GgufValueType.Int32, new[] { 7, 8 }), new GgufArray(GgufValueType.UInt8, new byte[] { 9 }) }));
        var q8 = new byte[2 * 34];
        for (var i = 0; i < q8.Length; i++) q8[i] = (byte)(i * 7);
        var f32 = new byte[GgufFileTests.F32Data.Length * 4];
        Buffer.BlockCopy(GgufFileTests.F32Data, 0, f32, 0, f32.Length);
        return w.AddTensor("blk.0.attn_q.weight", GgufTensorType.F32, [3, 2], f32)
                .AddTensor("blk.0.ffn_up.weight", GgufTensorType.Q8_0, [64, 1], q8);
    }

    [Fact]
    public void Writes_the_same_bytes_as_the_specification_writer()
    {
        var expected = GgufFileTests.Sample().Build();
        using var ms = new MemoryStream();
        Sample().Write(ms);
        Assert.Equal(expected, ms.ToArray());
    }

    [Fact]
    public void Round_trips_through_the_reader_with_custom_alignment()
    {
        var path = Path.Combine(Path.GetTempPath(), $"quantreason-w-{Guid.NewGuid():N}.gguf");
        try
        {
            Sample(alignment: 128).Write(path);
            using var g = GgufFile.Open(path);
            Assert.Equal(128u, g.Alignment);
            Assert.Equal(0, g.DataOffset % 128);
            Assert.Equal(["a", "▁b", "<0x0A>", ""], g.GetStringArray("tokens"));
            Assert.Equal([7, 8], (int[])g.GetArray<GgufArray>("nested")[0].Values);
            Assert.Equal(4_000_000_000u, g.GetUInt32("u32"));
            Assert.Equal(GgufFileTests.F32Data,
                System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(g.GetTensorBytes("blk.0.attn_q.weight")).ToArray());
            Assert.Equal(128UL, g.GetTensor("blk.0.ffn_up.weight").Offset);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Invalid_content_is_refused_before_writing()
    {
        var w = new GgufWriter().Add("a", 1);
        Assert.Throws<QuantReasonException>(() => w.Add("a", 2));
        Assert.Throws<QuantReasonException>(() => w.Add("b", new object()));
        Assert.Throws<QuantReasonException>(() => w.AddTensor("t", GgufTensorType.F32, [4], new byte[15]));
        Assert.Throws<QuantReasonException>(() => w.AddTensor("q", GgufTensorType.Q4_0, [16], new byte[18]));
        Assert.Throws<QuantReasonException>(() => new GgufWriter(48));
    }
}
