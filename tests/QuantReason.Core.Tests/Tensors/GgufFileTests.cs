using System.Text;
using QuantReason.Tensors;

namespace QuantReason.Tests.Tensors;

public class GgufFileTests
{
    /// <summary>Writes GGUF bytes by the specification, independently of the reader under test.</summary>
    internal sealed class Writer
    {
        readonly MemoryStream _kv = new();
        readonly MemoryStream _infos = new();
        readonly List<byte[]> _data = new();
        int _kvCount, _tensorCount;
        public uint Version = 3;
        public uint Alignment = 32;

        static void Str(BinaryWriter w, string s)
        {
            var b = Encoding.UTF8.GetBytes(s);
            w.Write((ulong)b.Length);
            w.Write(b);
        }

        public Writer Kv(string key, GgufValueType type, Action<BinaryWriter> value)
        {
            var w = new BinaryWriter(_kv);
            Str(w, key);
            w.Write((uint)type);
            value(w);
            _kvCount++;
            return this;
        }

        public Writer KvString(string key, string v) => Kv(key, GgufValueType.String, w => Str(w, v));

        public Writer KvArray<T>(string key, GgufValueType elem, T[] items, Action<BinaryWriter, T> write) =>
            Kv(key, GgufValueType.Array, w =>
            {
                w.Write((uint)elem);
                w.Write((ulong)items.Length);
                foreach (var x in items) write(w, x);
            });

        public Writer Tensor(string name, ulong[] dims, GgufTensorType type, byte[] data)
        {
            var w = new BinaryWriter(_infos);
            Str(w, name);
            w.Write((uint)dims.Length);
            foreach (var d in dims) w.Write(d);
            w.Write((uint)type);
            var offset = _data.Sum(d => (long)Align(d.Length));
            w.Write((ulong)offset);
            _data.Add(data);
            _tensorCount++;
            return this;
        }

        long Align(long x) => (x + Alignment - 1) / Alignment * Alignment;

        public byte[] Build()
        {
            var ms = new MemoryStream();
            var w = new BinaryWriter(ms);
            w.Write(Encoding.ASCII.GetBytes("GGUF"));
            w.Write(Version);
            w.Write((ulong)_tensorCount);
            w.Write((ulong)_kvCount);
            w.Write(_kv.ToArray());
            w.Write(_infos.ToArray());
            while (ms.Length % Alignment != 0) w.Write((byte)0);
            foreach (var d in _data)
            {
                w.Write(d);
                while (ms.Length % Alignment != 0) w.Write((byte)0);
            }
            return ms.ToArray();
        }
    }

    static string Temp(byte[] bytes)
    {
        var path = Path.Combine(Path.GetTempPath(), $"quantreason-{Guid.NewGuid():N}.gguf");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    internal static readonly float[] F32Data = [1.5f, -2f, 3.25f, 0f, 1e-3f, -7f];

    internal static Writer Sample(uint version = 3, uint alignment = 32)
    {
        var w = new Writer { Version = version, Alignment = alignment }
            .KvString("general.architecture", "llama")
            .Kv("u8", GgufValueType.UInt8, x => x.Write((byte)200))
            .Kv("i8", GgufValueType.Int8, x => x.Write((sbyte)-5))
            .Kv("u16", GgufValueType.UInt16, x => x.Write((ushort)65000))
            .Kv("i16", GgufValueType.Int16, x => x.Write((short)-30000))
            .Kv("u32", GgufValueType.UInt32, x => x.Write(4_000_000_000u))
            .Kv("i32", GgufValueType.Int32, x => x.Write(-123456))
            .Kv("f32", GgufValueType.Float32, x => x.Write(0.25f))
            .Kv("bool", GgufValueType.Bool, x => x.Write((byte)1))
            .Kv("u64", GgufValueType.UInt64, x => x.Write(1UL << 40))
            .Kv("i64", GgufValueType.Int64, x => x.Write(-(1L << 40)))
            .Kv("f64", GgufValueType.Float64, x => x.Write(Math.PI))
            .KvArray("tokens", GgufValueType.String, ["a", "▁b", "<0x0A>", ""], (x, s) => { x.Write((ulong)Encoding.UTF8.GetByteCount(s)); x.Write(Encoding.UTF8.GetBytes(s)); })
            .KvArray("ids", GgufValueType.UInt32, [1u, 2u, 3u], (x, v) => x.Write(v))
            .KvArray("scores", GgufValueType.Float32, [-1f, 0.5f], (x, v) => x.Write(v))
            .KvArray("flags", GgufValueType.Bool, [true, false], (x, v) => x.Write((byte)(v ? 1 : 0)))
            .Kv("nested", GgufValueType.Array, x =>
            {
                x.Write((uint)GgufValueType.Array);
                x.Write(2UL);
                x.Write((uint)GgufValueType.Int32); x.Write(2UL); x.Write(7); x.Write(8);
                x.Write((uint)GgufValueType.UInt8); x.Write(1UL); x.Write((byte)9);
            });
        if (alignment != 32) w.Kv("general.alignment", GgufValueType.UInt32, x => x.Write(alignment));
        var q8 = new byte[2 * 34];
        for (var i = 0; i < q8.Length; i++) q8[i] = (byte)(i * 7);
        var f32 = new byte[F32Data.Length * 4];
        Buffer.BlockCopy(F32Data, 0, f32, 0, f32.Length);
        return w.Tensor("blk.0.attn_q.weight", [3, 2], GgufTensorType.F32, f32)
                .Tensor("blk.0.ffn_up.weight", [64, 1], GgufTensorType.Q8_0, q8);
    }

    [Theory]
    [InlineData(3u, 32u)]
    [InlineData(2u, 32u)]
    [InlineData(3u, 64u)]
    public void Reads_every_metadata_type_and_the_tensor_bytes(uint version, uint alignment)
    {
        var path = Temp(Sample(version, alignment).Build());
        try
        {
            using var g = GgufFile.Open(path);
            Assert.Equal(version, g.Version);
            Assert.Equal(alignment, g.Alignment);
            Assert.Equal("llama", g.GetString("general.architecture"));
            Assert.Equal(200, g.GetInt64("u8"));
            Assert.Equal(-5, g.GetInt32("i8"));
            Assert.Equal(65000u, g.GetUInt32("u16"));
            Assert.Equal(-30000, g.GetInt32("i16"));
            Assert.Equal(4_000_000_000u, g.GetUInt32("u32"));
            Assert.Equal(-123456, g.GetInt32("i32"));
            Assert.Equal(0.25f, g.GetFloat32("f32"));
            Assert.True(g.GetBool("bool"));
            Assert.Equal(1L << 40, g.GetInt64("u64"));
            Assert.Equal(-(1L << 40), g.GetInt64("i64"));
            Assert.Equal(Math.PI, g.GetFloat64("f64"));
            Assert.Equal(["a", "▁b", "<0x0A>", ""], g.GetStringArray("tokens"));
            Assert.Equal([1u, 2u, 3u], g.GetArray<uint>("ids"));
            Assert.Equal([1, 2, 3], g.GetArray<int>("ids")); // u32 read as int32 by checked conversion
            Assert.Equal([-1f, 0.5f], g.GetArray<float>("scores"));
            Assert.Equal([true, false], g.GetArray<bool>("flags"));
            var nested = g.GetArray<GgufArray>("nested");
            Assert.Equal([7, 8], (int[])nested[0].Values);
            Assert.Equal([(byte)9], (byte[])nested[1].Values);
            Assert.Equal(GgufValueType.Array, g.TypeOf("nested"));
            Assert.False(g.TryGetString("u8", out _));
            Assert.False(g.TryGetInt64("absent", out _));

            Assert.Equal(0, g.DataOffset % alignment);
            Assert.Equal(2, g.Tensors.Count);
            var q = g.GetTensor("blk.0.attn_q.weight");
            Assert.Equal([2L, 3L], q.Shape);
            Assert.Equal(24, q.ByteLength);
            var floats = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(g.GetTensorBytes(q)).ToArray();
            Assert.Equal(F32Data, floats);
            var up = g.GetTensor("blk.0.ffn_up.weight");
            Assert.Equal(68, up.ByteLength);
            Assert.Equal(0UL, up.Offset % alignment);
            var bytes = g.GetTensorBytes(up).ToArray();
            Assert.Equal(Enumerable.Range(0, 68).Select(i => (byte)(i * 7)), bytes);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Wrong_types_and_missing_keys_name_the_key_and_file()
    {
        var path = Temp(Sample().Build());
        try
        {
            using var g = GgufFile.Open(path);
            var e = Assert.Throws<QuantReasonException>(() => g.GetString("u32"));
            Assert.Equal(path, e.Where);
            Assert.Contains("'u32'", e.Message);
            Assert.Contains("not found", Assert.Throws<QuantReasonException>(() => g.GetUInt32("absent")).Message);
            Assert.Throws<QuantReasonException>(() => g.GetUInt32("i32"));       // negative value
            Assert.Throws<QuantReasonException>(() => g.GetArray<int>("tokens")); // strings are not numbers
            Assert.Throws<QuantReasonException>(() => g.GetTensor("absent"));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Bad_magic_and_unsupported_versions_are_refused()
    {
        var good = Sample().Build();
        var bad = (byte[])good.Clone();
        bad[0] = (byte)'X';
        var v1 = (byte[])good.Clone();
        BitConverter.GetBytes(1u).CopyTo(v1, 4);
        var v9 = (byte[])good.Clone();
        BitConverter.GetBytes(9u).CopyTo(v9, 4);
        foreach (var (bytes, expected) in new[] { (bad, "not a GGUF file"), (v1, "unsupported GGUF version 1"), (v9, "unsupported GGUF version 9") })
        {
            var path = Temp(bytes);
            try
            {
                var e = Assert.Throws<QuantReasonException>(() => GgufFile.Open(path));
                Assert.Equal(path, e.Where);
                Assert.Contains(expected, e.Message);
            }
            finally { File.Delete(path); }
        }
    }

    [Fact]
    public void Every_truncation_is_a_clear_error_naming_the_file()
    {
        var good = Sample().Build();
        var path = Path.Combine(Path.GetTempPath(), $"quantreason-trunc-{Guid.NewGuid():N}.gguf");
        try
        {
            // Every cut short of the last tensor's end must fail cleanly (padding after it is optional).
            var needed = good.Length - (32 - 68 % 32) % 32;
            for (var len = 0; len < needed; len++)
            {
                File.WriteAllBytes(path, good[..len]);
                var e = Assert.Throws<QuantReasonException>(() => { using var _ = GgufFile.Open(path); });
                Assert.Equal(path, e.Where);
            }
            File.WriteAllBytes(path, good[..needed]);
            using var ok = GgufFile.Open(path);
            Assert.Equal(2, ok.Tensors.Count);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Absurd_counts_are_refused_before_allocating()
    {
        var bytes = Sample().Build();
        BitConverter.GetBytes(ulong.MaxValue / 2).CopyTo(bytes, 16); // metadata count
        var path = Temp(bytes);
        try { Assert.Contains("corrupt GGUF header", Assert.Throws<QuantReasonException>(() => GgufFile.Open(path)).Message); }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Missing_file_names_the_path()
    {
        var path = Path.Combine(Path.GetTempPath(), $"quantreason-missing-{Guid.NewGuid():N}.gguf");
        Assert.Equal(path, Assert.Throws<QuantReasonException>(() => GgufFile.Open(path)).Where);
    }

    [SharedFact]
    public void A_symlink_is_measured_by_its_target()
    {
        var target = Shared.PathOf("tokenizers", "vectors", "ggml-vocab-gpt-2.gguf");
        var link = Path.Combine(Path.GetTempPath(), $"quantreason-link-{Guid.NewGuid():N}.gguf");
        File.CreateSymbolicLink(link, target);
        try
        {
            using var direct = GgufFile.Open(target);
            using var linked = GgufFile.Open(link);
            Assert.Equal(new FileInfo(target).Length, linked.FileLength);
            Assert.Equal(direct.GetStringArray("tokenizer.ggml.tokens"), linked.GetStringArray("tokenizer.ggml.tokens"));
        }
        finally { File.Delete(link); }
    }

    public static TheoryData<string> SharedGgufFiles => Shared.Files("*.gguf", "tokenizers", "vectors");

    [SharedTheory]
    [MemberData(nameof(SharedGgufFiles))]
    public void Shared_vocabulary_files_parse_consistently(string file)
    {
        using var g = GgufFile.Open(Shared.PathOf("tokenizers", "vectors", file));
        Assert.Contains(g.Version, new uint[] { 2, 3 });
        var tokens = g.GetStringArray("tokenizer.ggml.tokens");
        Assert.Equal(tokens.Length, g.GetArray<int>("tokenizer.ggml.token_type").Length);
        Assert.Equal(0, g.DataOffset % g.Alignment);
        // Vocabulary-only files end right after the header: the data section would start at the next aligned offset.
        Assert.InRange(g.DataOffset - g.FileLength, g.Tensors.Count == 0 ? -g.Alignment : -g.FileLength, g.Alignment - 1);
        Assert.Contains(g.GetString("tokenizer.ggml.model"), new[] { "gpt2", "llama" });
    }
}
