using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace QuantReason.Tensors;

/// <summary>
/// A memory-mapped safetensors file: 8-byte little-endian header length N, N bytes of JSON, then the data buffer.
/// Tensors are read straight from the mapping; nothing is copied until a caller asks for a converted array.
/// </summary>
public sealed unsafe class SafeTensorsFile : IDisposable
{
    public string Path { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }
    public IReadOnlyDictionary<string, TensorInfo> Tensors { get; }

    readonly MemoryMappedFile? _map;
    readonly MemoryMappedViewAccessor? _view;
    readonly byte* _base;
    readonly long _dataStart;
    readonly long _fileLength;

    SafeTensorsFile(string path, MemoryMappedFile? map, MemoryMappedViewAccessor? view, byte* basePtr, long fileLength,
        long dataStart, Dictionary<string, TensorInfo> tensors, Dictionary<string, string> metadata)
    {
        Path = path; _map = map; _view = view; _base = basePtr; _fileLength = fileLength; _dataStart = dataStart;
        Tensors = tensors; Metadata = metadata;
    }

    public static SafeTensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw new QuantReasonException("file not found", path);
        // Measured on the opened file, so a symlink (the Hugging Face cache links every file into blobs/) counts its
        // target's bytes, and the length checked is the length mapped.
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        long length = stream.Length;
        if (length < 8)
        {
            stream.Dispose();
            throw new QuantReasonException($"truncated safetensors file ({length} bytes, no header)", path);
        }

        MemoryMappedFile map;
        try { map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false); }
        catch { stream.Dispose(); throw; }
        MemoryMappedViewAccessor view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* ptr = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref ptr);
        ptr += view.PointerOffset;
        try
        {
            ulong headerLen = *(ulong*)ptr;
            if (headerLen > (ulong)(length - 8) || headerLen > 100_000_000)
                throw new QuantReasonException($"truncated or corrupt safetensors header (declares {headerLen} bytes, file has {length})", path);
            var header = new ReadOnlySpan<byte>(ptr + 8, (int)headerLen);
            long dataStart = 8 + (long)headerLen;
            var (tensors, metadata) = ParseHeader(header, path);
            long dataLength = length - dataStart;
            foreach (var t in tensors.Values)
            {
                if (t.Begin < 0 || t.End < t.Begin || t.End > dataLength)
                    throw new QuantReasonException($"tensor data [{t.Begin}, {t.End}) lies outside the file's {dataLength}-byte buffer (truncated file?)", $"{path}: {QuantReasonException.Quote(t.Name)}");
                if (t.ByteLength != t.ElementCount * t.DType.SizeOf())
                    throw new QuantReasonException($"byte length {t.ByteLength} does not match shape {t.ShapeString} of {t.DType}", $"{path}: {QuantReasonException.Quote(t.Name)}");
            }
            return new SafeTensorsFile(path, map, view, ptr, length, dataStart, tensors, metadata);
        }
        catch
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
            view.Dispose();
            map.Dispose();
            throw;
        }
    }

    static (Dictionary<string, TensorInfo>, Dictionary<string, string>) ParseHeader(ReadOnlySpan<byte> header, string path)
    {
        var tensors = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        using var doc = JsonInput.Parse(header.ToArray(), path, "corrupt safetensors header", new JsonDocumentOptions());
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
            throw new QuantReasonException("corrupt safetensors header: not a JSON object", path);
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            var where = $"{path}: {QuantReasonException.Quote(p.Name)}";
            if (p.Name == "__metadata__")
            {
                if (p.Value.ValueKind != JsonValueKind.Object)
                    throw new QuantReasonException($"__metadata__ must be an object of strings, found {p.Value.ValueKind}", path);
                foreach (var m in p.Value.EnumerateObject()) metadata[m.Name] = m.Value.ToString();
                continue;
            }
            if (p.Value.ValueKind != JsonValueKind.Object
                || !p.Value.TryGetProperty("dtype", out var dtEl) || dtEl.ValueKind != JsonValueKind.String
                || !p.Value.TryGetProperty("shape", out var shapeEl) || shapeEl.ValueKind != JsonValueKind.Array
                || !p.Value.TryGetProperty("data_offsets", out var offEl) || offEl.ValueKind != JsonValueKind.Array)
                throw new QuantReasonException("corrupt tensor entry in header: needs \"dtype\" (a string), \"shape\" and \"data_offsets\" (arrays)", where);
            string dt = dtEl.GetString()!;
            if (!DTypes.TryParseSafeTensors(dt, out var dtype))
                throw new QuantReasonException($"unsupported dtype '{QuantReasonException.Quote(dt)}'", where);
            var shape = Integers(shapeEl, "shape", where);
            var off = Integers(offEl, "data_offsets", where);
            if (off.Length != 2) throw new QuantReasonException("data_offsets must have two entries", where);
            string ShapeText() => QuantReasonException.Quote($"[{string.Join(", ", shape)}]");
            if (shape.Length > MaxRank) throw new QuantReasonException($"shape {ShapeText()} has rank {shape.Length} (at most {MaxRank})", where);
            if (shape.Any(d => d < 0)) throw new QuantReasonException($"negative dimension in shape {ShapeText()}", where);
            // The element count sizes every buffer read from this entry: it must not wrap around.
            long elements = 1;
            foreach (var d in shape)
                if (d != 0 && elements > long.MaxValue / 8 / d)
                    throw new QuantReasonException($"shape {ShapeText()} has more elements than any file can hold", where);
                else elements *= d;
            tensors[p.Name] = new TensorInfo(p.Name, dtype, shape, off[0], off[1]);
        }
        return (tensors, metadata);
    }

    const int MaxRank = 16;

    static long[] Integers(JsonElement array, string field, string where)
    {
        var values = new long[array.GetArrayLength()];
        int i = 0;
        foreach (var e in array.EnumerateArray())
            values[i++] = e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var v) ? v
                : throw new QuantReasonException($"{field} holds {QuantReasonException.Quote(e.GetRawText(), 40)}, not a 64-bit integer", where);
        return values;
    }

    public bool Contains(string name) => Tensors.ContainsKey(name);

    public TensorInfo Info(string name) =>
        Tensors.TryGetValue(name, out var t) ? t : throw new QuantReasonException("tensor not found", $"{Path}: {name}");

    /// <summary>The raw little-endian bytes of a tensor, straight from the mapping (valid while this file is open).</summary>
    public ReadOnlySpan<byte> Bytes(string name)
    {
        var t = Info(name);
        return new ReadOnlySpan<byte>(_base + _dataStart + t.Begin, checked((int)t.ByteLength));
    }

    /// <summary>Pointer to a tensor's bytes, for tensors larger than 2 GB or zero-copy kernels.</summary>
    public byte* Pointer(string name) => _base + _dataStart + Info(name).Begin;

    /// <summary>Reads a tensor as f32, converting from its stored dtype, after checking its shape if one is given.</summary>
    public float[] ReadF32(string name, params long[] expectedShape)
    {
        var t = Info(name);
        CheckShape(t, expectedShape);
        var dst = new float[t.ElementCount];
        DTypes.ToF32(t.DType, Bytes(name), dst);
        return dst;
    }

    public long[] ReadI64(string name)
    {
        var t = Info(name);
        var dst = new long[t.ElementCount];
        switch (t.DType)
        {
            case DType.I64: MemoryMarshal.Cast<byte, long>(Bytes(name)).CopyTo(dst); break;
            case DType.I32: { var s = MemoryMarshal.Cast<byte, int>(Bytes(name)); for (int i = 0; i < s.Length; i++) dst[i] = s[i]; break; }
            default: throw new QuantReasonException($"expected an integer tensor, found {t.DType}", $"{Path}: {name}");
        }
        return dst;
    }

    public int[] ReadI32(string name)
    {
        var t = Info(name);
        if (t.DType == DType.I32) return MemoryMarshal.Cast<byte, int>(Bytes(name)).ToArray();
        return ReadI64(name).Select(v => checked((int)v)).ToArray();
    }

    public void CheckShape(TensorInfo t, long[] expectedShape)
    {
        if (expectedShape.Length > 0 && !expectedShape.SequenceEqual(t.Shape))
            throw new QuantReasonException($"has shape {t.ShapeString}, expected [{string.Join(", ", expectedShape)}]", $"{Path}: {t.Name}");
    }

    public void Dispose()
    {
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
        _map?.Dispose();
    }
}
