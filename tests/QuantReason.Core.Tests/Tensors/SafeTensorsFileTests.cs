using System.Text;
using QuantReason.Tensors;

namespace QuantReason.Tests.Tensors;

public class SafeTensorsFileTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("qr-st-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void WriterRoundTripsEveryDType()
    {
        var path = Path.Combine(_dir, "all.safetensors");
        float[] f = [1.5f, -2.25f, 3e-3f, 65504f, -0f, 1e-8f];
        SafeTensorsWriter.Write(path, [
            TensorData.F32("f32", f, 2, 3),
            TensorData.BF16("bf16", f, 6),
            TensorData.F16("f16", f, 3, 2),
            TensorData.I32("i32", [1, -2, int.MaxValue], 3),
            TensorData.I64("i64", [long.MinValue, 7], 2),
            new TensorData("i8", DType.I8, [2], new byte[] { 0x80, 0x7f }),
            new TensorData("u8", DType.U8, [2], new byte[] { 0, 255 }),
        ], new Dictionary<string, string> { ["format"] = "pt" });
        using var st = SafeTensorsFile.Open(path);
        Assert.Equal("pt", st.Metadata["format"]);
        Assert.Equal(f, st.ReadF32("f32", 2, 3));
        Assert.Equal(f.Select(v => DTypes.BF16ToF32(DTypes.F32ToBF16(v))), st.ReadF32("bf16"));
        Assert.Equal(f.Select(v => (float)(Half)v), st.ReadF32("f16"));
        Assert.Equal([1, -2, int.MaxValue], st.ReadI32("i32"));
        Assert.Equal([long.MinValue, 7], st.ReadI64("i64"));
        Assert.Equal([-128f, 127f], st.ReadF32("i8"));
        Assert.Equal([0f, 255f], st.ReadF32("u8"));
        Assert.Equal(0, (8 + BitConverter.ToInt64(File.ReadAllBytes(path), 0)) % 8); // data buffer 8-byte aligned
    }

    [Fact]
    public void BF16ConversionRoundsToNearestEven()
    {
        // 1 + 2^-8 lies exactly between two bf16 values: ties go to the even mantissa (1.0); just above rounds up.
        Assert.Equal(1f, DTypes.BF16ToF32(DTypes.F32ToBF16(1f + MathF.Pow(2, -8))));
        Assert.Equal(1f + MathF.Pow(2, -7), DTypes.BF16ToF32(DTypes.F32ToBF16(1f + MathF.Pow(2, -8) + MathF.Pow(2, -20))));
        Assert.True(float.IsNaN(DTypes.BF16ToF32(DTypes.F32ToBF16(float.NaN))));
    }

    [Fact]
    public void MissingFileNamesThePath()
    {
        var e = Assert.Throws<QuantReasonException>(() => SafeTensorsFile.Open(Path.Combine(_dir, "nope.safetensors")));
        Assert.Contains("nope.safetensors", e.Message);
    }

    [Fact]
    public void TruncatedFileIsReportedNotMisread()
    {
        var path = Path.Combine(_dir, "t.safetensors");
        SafeTensorsWriter.Write(path, [TensorData.F32("w", new float[64], 8, 8)]);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^16]);
        var e = Assert.Throws<QuantReasonException>(() => SafeTensorsFile.Open(path));
        Assert.Contains("w", e.Message);
        Assert.Contains("truncated", e.Message);

        File.WriteAllBytes(path, bytes[..20]); // header cut short
        e = Assert.Throws<QuantReasonException>(() => SafeTensorsFile.Open(path));
        Assert.Contains("header", e.Message);
    }

    [Fact]
    public void CorruptHeaderAndWrongShapeAreNamed()
    {
        var path = Path.Combine(_dir, "c.safetensors");
        var json = Encoding.UTF8.GetBytes("{\"w\": {\"dtype\": \"F32\", \"shape\": [2, 2], \"data_offsets\": [0, 12]}}");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)json.Length), .. json, .. new byte[12]]);
        var e = Assert.Throws<QuantReasonException>(() => SafeTensorsFile.Open(path));
        Assert.Contains("w", e.Message);

        SafeTensorsWriter.Write(path, [TensorData.F32("layer.weight", new float[6], 2, 3)]);
        using var st = SafeTensorsFile.Open(path);
        e = Assert.Throws<QuantReasonException>(() => st.ReadF32("layer.weight", 3, 2));
        Assert.Contains("layer.weight", e.Message);
        Assert.Contains("[2, 3]", e.Message);
        e = Assert.Throws<QuantReasonException>(() => st.ReadF32("absent"));
        Assert.Contains("absent", e.Message);
    }

    [Fact]
    public void ShardedCheckpointResolvesTensorsThroughTheIndex()
    {
        SafeTensorsWriter.Write(Path.Combine(_dir, "model-00001-of-00002.safetensors"), [TensorData.F32("a", [1, 2], 2)]);
        SafeTensorsWriter.Write(Path.Combine(_dir, "model-00002-of-00002.safetensors"), [TensorData.F32("b", [3], 1)]);
        File.WriteAllText(Path.Combine(_dir, "model.safetensors.index.json"),
            "{\"metadata\": {}, \"weight_map\": {\"a\": \"model-00001-of-00002.safetensors\", \"b\": \"model-00002-of-00002.safetensors\"}}");
        using var ck = Checkpoint.Open(_dir);
        Assert.Equal([1f, 2f], ck.ReadF32("a"));
        Assert.Equal([3f], ck.ReadF32("b"));
        Assert.Equal(2, ck.Files.Count);
    }

    [Fact]
    public void PickleOnlyDirectoryIsRefusedWithAReason()
    {
        File.WriteAllBytes(Path.Combine(_dir, "pytorch_model.bin"), [0]);
        var e = Assert.Throws<QuantReasonException>(() => Checkpoint.Open(_dir));
        Assert.Contains("pickle", e.Message);
    }

    static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    static string Entry(string name, string dtype = "F32", string shape = "[1]") =>
        $"\"{name}\": {{\"dtype\": \"{dtype}\", \"shape\": {shape}, \"data_offsets\": [0, 4]}}";

    public static TheoryData<string, byte[], string> HeaderDefects => new()
    {
        { "metadata a string", Utf8("{\"__metadata__\": \"pt\", " + Entry("w") + "}"), "__metadata__ must be an object of strings, found String" },
        { "metadata an array", Utf8("{\"__metadata__\": [1], " + Entry("w") + "}"), "__metadata__ must be an object of strings, found Array" },
        { "invalid UTF-8 in a tensor name", [.. Utf8("{\"w"), 0xFF, .. Utf8("\"" + Entry("")[2..] + "}")], "invalid UTF-8 at byte 3" },
        { "a 4 KB literal", Utf8("{\"w\": f" + new string('x', 4096) + "}"), "malformed JSON" },
        { "a 4 KB tensor name", Utf8("{" + Entry(new string('n', 4096), dtype: "Q9") + "}"), "unsupported dtype 'Q9'" },
        { "a 4 KB dtype", Utf8("{" + Entry("w", dtype: new string('d', 4096)) + "}"), "unsupported dtype 'dddd" },
        { "a wrapping element count", Utf8("{" + Entry("w", shape: "[4294967296, 4294967296]") + "}"), "more elements than any file can hold" },
        { "a fractional dimension", Utf8("{" + Entry("w", shape: "[1.5]") + "}"), "not a 64-bit integer" },
    };

    [Theory, MemberData(nameof(HeaderDefects))]
    public void Named_header_defects_are_one_short_line(string what, byte[] header, string expected)
    {
        var path = Path.Combine(_dir, "h.safetensors");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)header.Length), .. header, .. new byte[8]]);
        var e = Assert.Throws<QuantReasonException>(() => SafeTensorsFile.Open(path));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith(path, e.Message);
        Assert.True(e.Message.Length < path.Length + 200, $"{what}: {e.Message.Length}-character message: {e.Message}");
        Assert.DoesNotContain('\n', e.Message);
    }

    /// <summary>
    /// 60 seeded mutations of each real checkpoint's header (JSON edits with the length prefix rewritten, and raw edits
    /// of the prefix and the first bytes), each loaded as a model: it loads, or fails with one short line.
    /// </summary>
    [SharedFact]
    public void Mutated_headers_of_real_checkpoints_load_or_fail_cleanly()
    {
        IEnumerable<Fuzz.Case> Cases()
        {
            int seed = 0;
            foreach (var source in Fuzz.ModelDirs())
            {
                var target = Path.Combine(Fuzz.CopyOf(source, _dir, "config.json", "generation_config.json"), "model.safetensors");
                var file = File.ReadAllBytes(Path.Combine(source, "model.safetensors"));
                int headerLength = checked((int)BitConverter.ToUInt64(file));
                var (header, data) = (file[8..(8 + headerLength)], file[(8 + headerLength)..]);
                foreach (var c in Fuzz.JsonMutations(header, ++seed, 50))
                    yield return c.For(target) with { Bytes = [.. BitConverter.GetBytes((ulong)c.Bytes.Length), .. c.Bytes, .. data] };
                foreach (var c in Fuzz.BinaryMutations(file[..(8 + headerLength)], ++seed, 10))
                    yield return c.For(target) with { Bytes = [.. c.Bytes, .. data] };
            }
        }
        var report = Fuzz.Run(Cases(), c => Fuzz.LoadModel(Path.GetDirectoryName(c.Target)!), Fuzz.ModelTimeBound(), 64L << 20);
        report.AssertClean(output, "safetensors header");
    }
}
