using System.IO.MemoryMappedFiles;

namespace QuantReason.Tensors;

/// <summary>
/// A memory-mapped GGUF file (v2/v3): typed metadata, tensor infos and zero-copy access to tensor bytes.
/// Layout: magic "GGUF", u32 version, u64 tensor count, u64 metadata count, metadata key/values, tensor infos,
/// padding to <c>general.alignment</c> (default 32), data section. Dispose to unmap.
/// </summary>
public sealed unsafe class GgufFile : IDisposable
{
    public const uint Magic = 0x46554747; // "GGUF" read little-endian
    public const uint DefaultAlignment = 32;

    readonly MemoryMappedFile? _map;
    readonly MemoryMappedViewAccessor? _view;
    byte* _ptr;
    readonly Dictionary<string, object> _metadata;
    readonly List<string> _keys;
    readonly Dictionary<string, GgufTensorInfo> _tensorsByName;

    public string Path { get; }
    public uint Version { get; }
    public uint Alignment { get; }
    /// <summary>Absolute file offset of the data section (tensor offsets are relative to it).</summary>
    public long DataOffset { get; }
    public long FileLength { get; }
    public IReadOnlyList<GgufTensorInfo> Tensors { get; }
    /// <summary>Metadata keys in file order.</summary>
    public IReadOnlyList<string> Keys => _keys;

    GgufFile(string path)
    {
        Path = path;
        if (!File.Exists(path)) throw new QuantReasonException("GGUF file not found", path);
        // Measured on the opened file, so a symlink counts its target's bytes (see SafeTensorsFile.Open).
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        FileLength = stream.Length;
        if (FileLength < 24)
        {
            stream.Dispose();
            throw new QuantReasonException($"truncated GGUF file: {FileLength} bytes is shorter than the 24-byte header", path);
        }
        try
        {
            _map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref _ptr);
            _ptr += _view.PointerOffset;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stream.Dispose();
            Dispose();
            throw new QuantReasonException($"cannot map GGUF file: {e.Message}", path, e);
        }

        try
        {
            var c = new GgufCursor(_ptr, FileLength, path);
            var magic = c.U32("magic");
            if (magic != Magic)
                throw new QuantReasonException(
                    $"not a GGUF file: magic bytes are 0x{magic:X8}, expected \"GGUF\" (0x{Magic:X8})", path);
            Version = c.U32("version");
            if (Version is not (2 or 3))
                throw new QuantReasonException($"unsupported GGUF version {Version} (supported: 2, 3)", path);
            var tensorCount = c.U64("tensor count");
            var kvCount = c.U64("metadata count");
            // Each entry needs at least 8 bytes; a larger count is a corrupt header, caught before allocating.
            if (tensorCount > (ulong)c.Remaining / 8 || kvCount > (ulong)c.Remaining / 8)
                throw new QuantReasonException(
                    $"corrupt GGUF header: {tensorCount} tensors / {kvCount} metadata entries cannot fit in {FileLength} bytes", path);

            _metadata = new Dictionary<string, object>((int)kvCount, StringComparer.Ordinal);
            _keys = new List<string>((int)kvCount);
            for (ulong i = 0; i < kvCount; i++)
            {
                var key = c.Str($"metadata key #{i}");
                var type = (GgufValueType)c.U32($"type of '{QuantReasonException.Quote(key)}'");
                var value = ReadValue(ref c, type, key, depth: 0);
                if (!_metadata.TryAdd(key, value))
                    throw new QuantReasonException($"duplicate metadata key '{QuantReasonException.Quote(key)}'", path);
                _keys.Add(key);
            }

            Alignment = DefaultAlignment;
            if (_metadata.TryGetValue("general.alignment", out var a))
            {
                Alignment = a is uint u ? u : throw new QuantReasonException("general.alignment must be a uint32", path);
                if (Alignment == 0 || (Alignment & (Alignment - 1)) != 0)
                    throw new QuantReasonException($"general.alignment {Alignment} is not a power of two", path);
            }

            var raw = new List<(string Name, ulong[] Dims, GgufTensorType Type, ulong Offset)>((int)tensorCount);
            for (ulong i = 0; i < tensorCount; i++)
            {
                var name = c.Str($"tensor name #{i}");
                var nDims = c.U32($"rank of tensor '{QuantReasonException.Quote(name)}'");
                if (nDims > 8) throw new QuantReasonException($"tensor '{QuantReasonException.Quote(name)}' has rank {nDims} (at most 8 allowed)", path);
                var dims = new ulong[nDims];
                for (var d = 0; d < nDims; d++) dims[d] = c.U64($"dimension {d} of tensor '{QuantReasonException.Quote(name)}'");
                var type = (GgufTensorType)c.U32($"type of tensor '{QuantReasonException.Quote(name)}'");
                var offset = c.U64($"offset of tensor '{QuantReasonException.Quote(name)}'");
                raw.Add((name, dims, type, offset));
            }

            DataOffset = AlignUp(c.Position, Alignment);
            var tensors = new List<GgufTensorInfo>(raw.Count);
            _tensorsByName = new Dictionary<string, GgufTensorInfo>(raw.Count, StringComparer.Ordinal);
            foreach (var (name, dims, type, offset) in raw)
            {
                var info = new GgufTensorInfo(name, dims, type, offset, ByteLengthOf(name, dims, type));
                if (offset % Alignment != 0)
                    throw new QuantReasonException($"tensor '{QuantReasonException.Quote(name)}' offset {offset} is not aligned to {Alignment}", path);
                if (info.ByteLength >= 0 && (long)offset + info.ByteLength > FileLength - DataOffset)
                    throw new QuantReasonException(
                        $"truncated GGUF file: tensor '{QuantReasonException.Quote(name)}' needs bytes [{DataOffset + (long)offset}, " +
                        $"{DataOffset + (long)offset + info.ByteLength}) but the file has {FileLength}", path);
                if (!_tensorsByName.TryAdd(name, info))
                    throw new QuantReasonException($"duplicate tensor name '{QuantReasonException.Quote(name)}'", path);
                tensors.Add(info);
            }
            Tensors = tensors;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Opens and parses a GGUF file; throws <see cref="QuantReasonException"/> naming the file on any defect.</summary>
    public static GgufFile Open(string path) => new(System.IO.Path.GetFullPath(path));

    static long AlignUp(long x, uint alignment) => (x + alignment - 1) / alignment * alignment;

    long ByteLengthOf(string name, ulong[] dims, GgufTensorType type)
    {
        var (blockElements, blockBytes) = GgufTensorTypeInfo.Geometry(type);
        if (blockElements == 0) return -1; // unknown type: infos stay readable, raw bytes do not
        ulong n = 1;
        foreach (var d in dims) n = checked(n * d);
        if (dims.Length > 0 && dims[0] % (ulong)blockElements != 0)
            throw new QuantReasonException(
                $"tensor '{QuantReasonException.Quote(name)}' row length {dims[0]} is not a multiple of the {type} block size {blockElements}", Path);
        return checked((long)(n / (ulong)blockElements * (ulong)blockBytes));
    }

    object ReadValue(ref GgufCursor c, GgufValueType type, string key, int depth) => type switch
    {
        GgufValueType.UInt8 => c.U8(key),
        GgufValueType.Int8 => (sbyte)c.U8(key),
        GgufValueType.UInt16 => c.U16(key),
        GgufValueType.Int16 => (short)c.U16(key),
        GgufValueType.UInt32 => c.U32(key),
        GgufValueType.Int32 => (int)c.U32(key),
        GgufValueType.Float32 => c.F32(key),
        GgufValueType.Bool => ReadBool(ref c, key),
        GgufValueType.String => c.Str(key),
        GgufValueType.UInt64 => c.U64(key),
        GgufValueType.Int64 => (long)c.U64(key),
        GgufValueType.Float64 => c.F64(key),
        GgufValueType.Array => ReadArray(ref c, key, depth),
        _ => throw new QuantReasonException($"metadata '{QuantReasonException.Quote(key)}' has unknown value type {(uint)type}", Path),
    };

    bool ReadBool(ref GgufCursor c, string key)
    {
        var b = c.U8(key);
        return b switch
        {
            0 => false,
            1 => true,
            _ => throw new QuantReasonException($"metadata '{QuantReasonException.Quote(key)}' bool has byte value {b}", Path),
        };
    }

    GgufArray ReadArray(ref GgufCursor c, string key, int depth)
    {
        if (depth > 16) throw new QuantReasonException($"metadata '{QuantReasonException.Quote(key)}' nests arrays deeper than 16", Path);
        var elem = (GgufValueType)c.U32(key);
        var count = c.U64(key);
        // Every element takes at least one byte, so a count beyond the remaining bytes is corruption, not a big array.
        if (count > (ulong)c.Remaining)
            throw new QuantReasonException(
                $"truncated GGUF file: array '{QuantReasonException.Quote(key)}' claims {count} elements but only {c.Remaining} bytes remain", Path);
        var n = (int)count;
        Array values = elem switch
        {
            GgufValueType.UInt8 => Fill(n, ref c, key, static (ref GgufCursor r, string k) => r.U8(k)),
            GgufValueType.Int8 => Fill(n, ref c, key, static (ref GgufCursor r, string k) => (sbyte)r.U8(k)),
            GgufValueType.UInt16 => Fill(n, ref c, key, static (ref GgufCursor r, string k) => r.U16(k)),
            GgufValueType.Int16 => Fill(n, ref c, key, static (ref GgufCursor r, string k) => (short)r.U16(k)),
            GgufValueType.UInt32 => Fill(n, ref c, key, static (ref GgufCursor r, string k) => r.U32(k)),
            GgufValueType.Int32 => Fill(n, ref c, key, static (ref GgufCursor r, string k) => (int)r.U32(k)),
            GgufValueType.Float32 => Fill(n, ref c, key, static (ref GgufCursor r, string k) => r.F32(k)),
            GgufValueType.UInt64 => Fill(n, ref c, key, static (ref GgufCursor r, string k) => r.U64(k)),
            GgufValueType.Int64 => Fill(n, ref c, key, static (ref GgufCursor r, string k) => (long)r.U64(k)),
            GgufValueType.Float64 => Fill(n, ref c, key, static (ref GgufCursor r, string k) => r.F64(k)),
            GgufValueType.String => Fill(n, ref c, key, static (ref GgufCursor r, string k) => r.Str(k)),
            GgufValueType.Bool => ReadBools(n, ref c, key),
            GgufValueType.Array => ReadNested(n, ref c, key, depth),
            _ => throw new QuantReasonException($"metadata '{QuantReasonException.Quote(key)}' array has unknown element type {(uint)elem}", Path),
        };
        return new GgufArray(elem, values);
    }

    delegate T ElementReader<T>(ref GgufCursor c, string key);

    static T[] Fill<T>(int n, ref GgufCursor c, string key, ElementReader<T> read)
    {
        var a = new T[n];
        for (var i = 0; i < n; i++) a[i] = read(ref c, key);
        return a;
    }

    bool[] ReadBools(int n, ref GgufCursor c, string key)
    {
        var a = new bool[n];
        for (var i = 0; i < n; i++) a[i] = ReadBool(ref c, key);
        return a;
    }

    GgufArray[] ReadNested(int n, ref GgufCursor c, string key, int depth)
    {
        var a = new GgufArray[n];
        for (var i = 0; i < n; i++) a[i] = ReadArray(ref c, key, depth + 1);
        return a;
    }

    // ---- metadata accessors -------------------------------------------------------------------------------------

    public bool ContainsKey(string key) => _metadata.ContainsKey(key);

    /// <summary>The raw value: a boxed scalar (byte, sbyte, ushort, short, uint, int, float, bool, string, ulong, long, double) or a <see cref="GgufArray"/>.</summary>
    public bool TryGetValue(string key, out object value) => _metadata.TryGetValue(key, out value!);

    public GgufValueType TypeOf(string key) => Get(key) switch
    {
        byte => GgufValueType.UInt8, sbyte => GgufValueType.Int8, ushort => GgufValueType.UInt16, short => GgufValueType.Int16,
        uint => GgufValueType.UInt32, int => GgufValueType.Int32, float => GgufValueType.Float32, bool => GgufValueType.Bool,
        string => GgufValueType.String, ulong => GgufValueType.UInt64, long => GgufValueType.Int64,
        double => GgufValueType.Float64, _ => GgufValueType.Array,
    };

    object Get(string key) =>
        _metadata.TryGetValue(key, out var v) ? v : throw new QuantReasonException($"metadata key '{QuantReasonException.Quote(key)}' not found", Path);

    public string GetString(string key) =>
        Get(key) as string ?? throw WrongType(key, "string");

    public bool TryGetString(string key, out string value)
    {
        value = (_metadata.TryGetValue(key, out var v) ? v as string : null)!;
        return value is not null;
    }

    public bool GetBool(string key) => Get(key) is bool b ? b : throw WrongType(key, "bool");

    public bool TryGetBool(string key, out bool value)
    {
        value = _metadata.TryGetValue(key, out var v) && v is true;
        return v is bool;
    }

    /// <summary>Any integer type whose value fits; writers disagree on u32 vs i32 for ids and counts.</summary>
    public long GetInt64(string key) => ToInt64(Get(key)) ?? throw WrongType(key, "integer");

    public bool TryGetInt64(string key, out long value)
    {
        var r = _metadata.TryGetValue(key, out var v) ? ToInt64(v) : null;
        value = r ?? 0;
        return r.HasValue;
    }

    public uint GetUInt32(string key)
    {
        var v = GetInt64(key);
        return v is >= 0 and <= uint.MaxValue ? (uint)v : throw new QuantReasonException($"metadata '{QuantReasonException.Quote(key)}' = {v} does not fit in uint32", Path);
    }

    public bool TryGetUInt32(string key, out uint value)
    {
        value = 0;
        if (!TryGetInt64(key, out var v) || v is < 0 or > uint.MaxValue) return false;
        value = (uint)v;
        return true;
    }

    public int GetInt32(string key)
    {
        var v = GetInt64(key);
        return v is >= int.MinValue and <= int.MaxValue ? (int)v : throw new QuantReasonException($"metadata '{QuantReasonException.Quote(key)}' = {v} does not fit in int32", Path);
    }

    public bool TryGetInt32(string key, out int value)
    {
        value = 0;
        if (!TryGetInt64(key, out var v) || v is < int.MinValue or > int.MaxValue) return false;
        value = (int)v;
        return true;
    }

    public double GetFloat64(string key) => Get(key) switch
    {
        float f => f,
        double d => d,
        var o => ToInt64(o) ?? throw WrongType(key, "number"),
    };

    public float GetFloat32(string key) => (float)GetFloat64(key);

    public bool TryGetFloat32(string key, out float value)
    {
        value = 0;
        if (!_metadata.TryGetValue(key, out var v)) return false;
        if (v is float f) { value = f; return true; }
        if (v is double d) { value = (float)d; return true; }
        return false;
    }

    public GgufArray GetArray(string key) => Get(key) as GgufArray ?? throw WrongType(key, "array");

    /// <summary>
    /// The array as T[]: the stored array itself when the element type is T, otherwise a checked numeric conversion
    /// (e.g. a u32 array read as int[]); strings only as string[].
    /// </summary>
    public T[] GetArray<T>(string key) => ConvertArray<T>(key, GetArray(key));

    public bool TryGetArray<T>(string key, out T[] values)
    {
        values = null!;
        if (!_metadata.TryGetValue(key, out var v) || v is not GgufArray a) return false;
        values = ConvertArray<T>(key, a);
        return true;
    }

    public string[] GetStringArray(string key) => GetArray<string>(key);

    T[] ConvertArray<T>(string key, GgufArray a)
    {
        if (a.Values is T[] same) return same;
        if (typeof(T) == typeof(string) || typeof(T) == typeof(GgufArray) || a.Values is string[] or GgufArray[] or bool[])
            throw WrongType(key, $"array of {typeof(T).Name}");
        var result = new T[a.Count];
        try
        {
            for (var i = 0; i < result.Length; i++)
                result[i] = (T)Convert.ChangeType(a.Values.GetValue(i)!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (OverflowException)
        {
            throw new QuantReasonException($"metadata array '{QuantReasonException.Quote(key)}' has values that do not fit in {typeof(T).Name}", Path);
        }
        return result;
    }

    static long? ToInt64(object v) => v switch
    {
        byte x => x, sbyte x => x, ushort x => x, short x => x, uint x => x, int x => x, long x => x,
        ulong x when x <= long.MaxValue => (long)x,
        _ => null,
    };

    QuantReasonException WrongType(string key, string expected) =>
        new($"metadata '{QuantReasonException.Quote(key)}' is {TypeOf(key)}, expected {expected}", Path);

    // ---- tensors --------------------------------------------------------------------------------------------------

    public bool TryGetTensor(string name, out GgufTensorInfo info) => _tensorsByName.TryGetValue(name, out info!);

    public GgufTensorInfo GetTensor(string name) =>
        _tensorsByName.TryGetValue(name, out var t) ? t : throw new QuantReasonException($"tensor '{QuantReasonException.Quote(name)}' not found", Path);

    /// <summary>Raw bytes of a tensor, straight from the mapping (valid until Dispose).</summary>
    public ReadOnlySpan<byte> GetTensorBytes(GgufTensorInfo tensor)
    {
        ObjectDisposedException.ThrowIf(_ptr == null, this);
        if (tensor.ByteLength < 0)
            throw new QuantReasonException($"tensor '{tensor.Name}' has unsupported ggml type {(uint)tensor.Type}", Path);
        if (tensor.ByteLength > int.MaxValue)
            throw new QuantReasonException(
                $"tensor '{tensor.Name}' is {tensor.ByteLength} bytes, beyond one span; use GetTensorPointer", Path);
        return new ReadOnlySpan<byte>(_ptr + DataOffset + (long)tensor.Offset, (int)tensor.ByteLength);
    }

    public ReadOnlySpan<byte> GetTensorBytes(string name) => GetTensorBytes(GetTensor(name));

    /// <summary>Address of a tensor's first byte for tensors beyond 2 GiB (valid until Dispose).</summary>
    public byte* GetTensorPointer(GgufTensorInfo tensor)
    {
        ObjectDisposedException.ThrowIf(_ptr == null, this);
        return _ptr + DataOffset + (long)tensor.Offset;
    }

    public void Dispose()
    {
        if (_ptr != null)
        {
            _view!.SafeMemoryMappedViewHandle.ReleasePointer();
            _ptr = null;
        }
        _view?.Dispose();
        _map?.Dispose();
    }
}
