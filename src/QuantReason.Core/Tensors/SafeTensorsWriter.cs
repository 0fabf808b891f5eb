using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace QuantReason.Tensors;

/// <summary>One tensor to write: raw little-endian bytes of <see cref="DType"/> in row-major order.</summary>
public sealed record TensorData(string Name, DType DType, long[] Shape, ReadOnlyMemory<byte> Data)
{
    public static TensorData F32(string name, float[] values, params long[] shape) =>
        new(name, DType.F32, shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    public static TensorData BF16(string name, float[] values, params long[] shape)
    {
        var u = new ushort[values.Length];
        for (int i = 0; i < values.Length; i++) u[i] = DTypes.F32ToBF16(values[i]);
        return new(name, DType.BF16, shape, MemoryMarshal.AsBytes(u.AsSpan()).ToArray());
    }

    public static TensorData F16(string name, float[] values, params long[] shape)
    {
        var u = new ushort[values.Length];
        for (int i = 0; i < values.Length; i++) u[i] = DTypes.F32ToF16(values[i]);
        return new(name, DType.F16, shape, MemoryMarshal.AsBytes(u.AsSpan()).ToArray());
    }

    public static TensorData I32(string name, int[] values, params long[] shape) =>
        new(name, DType.I32, shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    public static TensorData I64(string name, long[] values, params long[] shape) =>
        new(name, DType.I64, shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
}

/// <summary>Writes safetensors files as transformers writes them: sorted names, 8-byte aligned data, optional metadata.</summary>
public static class SafeTensorsWriter
{
    public static void Write(string path, IEnumerable<TensorData> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        var header = new Dictionary<string, object>();
        if (metadata is { Count: > 0 }) header["__metadata__"] = metadata;
        long offset = 0;
        foreach (var t in list)
        {
            long expected = t.Shape.Aggregate(1L, (a, b) => a * b) * t.DType.SizeOf();
            if (expected != t.Data.Length)
                throw new QuantReasonException($"data has {t.Data.Length} bytes, shape [{string.Join(", ", t.Shape)}] of {t.DType} needs {expected}", t.Name);
            header[t.Name] = new { dtype = t.DType.ToSafeTensorsName(), shape = t.Shape, data_offsets = new[] { offset, offset + t.Data.Length } };
            offset += t.Data.Length;
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        int pad = (8 - json.Length % 8) % 8; // the data buffer starts 8-byte aligned, so mapped f64/i64 reads are aligned
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        var tmp = path + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            Span<byte> len = stackalloc byte[8];
            BitConverter.TryWriteBytes(len, (ulong)(json.Length + pad));
            fs.Write(len);
            fs.Write(json);
            for (int i = 0; i < pad; i++) fs.WriteByte((byte)' ');
            foreach (var t in list) fs.Write(t.Data.Span);
        }
        File.Move(tmp, path, overwrite: true);
    }
}
