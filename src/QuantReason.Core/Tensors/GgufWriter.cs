using System.Text;

namespace QuantReason.Tensors;

/// <summary>
/// Writes GGUF v3 files: metadata in insertion order, tensor infos, then tensor data each padded to the alignment.
/// Values are typed by their CLR type (byte→UInt8 … double→Float64, string, bool, T[] and <see cref="GgufArray"/>
/// for arrays), so a file written here reads back through <see cref="GgufFile"/> with the same types.
/// </summary>
public sealed class GgufWriter
{
    readonly List<(string Key, object Value)> _metadata = new();
    readonly List<(string Name, ulong[] Dims, GgufTensorType Type, ReadOnlyMemory<byte> Data)> _tensors = new();
    readonly HashSet<string> _keys = new(StringComparer.Ordinal);
    readonly HashSet<string> _names = new(StringComparer.Ordinal);

    public uint Alignment { get; }

    public GgufWriter(uint alignment = GgufFile.DefaultAlignment)
    {
        if (alignment == 0 || (alignment & (alignment - 1)) != 0)
            throw new QuantReasonException($"alignment {alignment} is not a power of two", "GGUF writer");
        Alignment = alignment;
        if (alignment != GgufFile.DefaultAlignment) Add("general.alignment", alignment);
    }

    public GgufWriter Add(string key, object value)
    {
        ValueType(value, key); // validates now, not halfway through writing
        if (!_keys.Add(key)) throw new QuantReasonException($"duplicate metadata key '{key}'", "GGUF writer");
        _metadata.Add((key, value));
        return this;
    }

    /// <summary>Adds a tensor; <paramref name="dims"/> in ggml order (row length first), data already in <paramref name="type"/>'s layout.</summary>
    public GgufWriter AddTensor(string name, GgufTensorType type, ulong[] dims, ReadOnlyMemory<byte> data)
    {
        var (blockElements, blockBytes) = GgufTensorTypeInfo.Geometry(type);
        if (blockElements == 0) throw new QuantReasonException($"tensor '{name}': unsupported type {type}", "GGUF writer");
        ulong n = 1;
        foreach (var d in dims) n *= d;
        if (dims.Length > 0 && dims[0] % (ulong)blockElements != 0)
            throw new QuantReasonException($"tensor '{name}': row length {dims[0]} is not a multiple of {blockElements}", "GGUF writer");
        var expected = n / (ulong)blockElements * (ulong)blockBytes;
        if ((ulong)data.Length != expected)
            throw new QuantReasonException($"tensor '{name}': {data.Length} bytes given, {type} {string.Join('x', dims)} needs {expected}", "GGUF writer");
        if (!_names.Add(name)) throw new QuantReasonException($"duplicate tensor name '{name}'", "GGUF writer");
        _tensors.Add((name, dims, type, data));
        return this;
    }

    public void Write(string path)
    {
        try
        {
            using var f = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
            Write(f);
        }
        catch (IOException e)
        {
            throw new QuantReasonException($"cannot write GGUF file: {e.Message}", path, e);
        }
    }

    public void Write(Stream stream)
    {
        var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(GgufFile.Magic);
        w.Write(3u);
        w.Write((ulong)_tensors.Count);
        w.Write((ulong)_metadata.Count);
        foreach (var (key, value) in _metadata)
        {
            WriteString(w, key);
            w.Write((uint)ValueType(value, key));
            WriteValue(w, value, key);
        }
        ulong offset = 0;
        foreach (var (name, dims, type, data) in _tensors)
        {
            WriteString(w, name);
            w.Write((uint)dims.Length);
            foreach (var d in dims) w.Write(d);
            w.Write((uint)type);
            w.Write(offset);
            offset = AlignUp(offset + (ulong)data.Length);
        }
        w.Flush();
        long position = 0;
        if (stream.CanSeek) position = stream.Position;
        else throw new QuantReasonException("GGUF writer needs a seekable stream", "GGUF writer");
        Pad(w, position);
        foreach (var (_, _, _, data) in _tensors)
        {
            w.Write(data.Span);
            w.Flush();
            Pad(w, stream.Position);
        }
        w.Flush();
    }

    ulong AlignUp(ulong x) => (x + Alignment - 1) / Alignment * Alignment;

    void Pad(BinaryWriter w, long position)
    {
        var target = (long)AlignUp((ulong)position);
        for (var i = position; i < target; i++) w.Write((byte)0);
    }

    static void WriteString(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    static GgufValueType ValueType(object value, string key) => value switch
    {
        byte => GgufValueType.UInt8, sbyte => GgufValueType.Int8, ushort => GgufValueType.UInt16, short => GgufValueType.Int16,
        uint => GgufValueType.UInt32, int => GgufValueType.Int32, float => GgufValueType.Float32, bool => GgufValueType.Bool,
        string => GgufValueType.String, ulong => GgufValueType.UInt64, long => GgufValueType.Int64, double => GgufValueType.Float64,
        GgufArray or Array => GgufValueType.Array,
        null => throw new QuantReasonException($"metadata '{key}' is null", "GGUF writer"),
        _ => throw new QuantReasonException($"metadata '{key}' has unsupported type {value.GetType().Name}", "GGUF writer"),
    };

    static GgufArray AsArray(object value, string key) => value switch
    {
        GgufArray a => a,
        Array a => new GgufArray(ValueType(ElementSample(a, key), key), a),
        _ => throw new QuantReasonException($"metadata '{key}' is not an array", "GGUF writer"),
    };

    /// <summary>An element standing for the array's element type (arrays of arrays are written as nested GgufArrays).</summary>
    static object ElementSample(Array a, string key)
    {
        var t = a.GetType().GetElementType()!;
        if (t == typeof(string)) return "";
        if (t == typeof(GgufArray) || t.IsArray) return Array.Empty<byte>();
        return Activator.CreateInstance(t) ?? throw new QuantReasonException($"metadata '{key}' has unsupported element type {t.Name}", "GGUF writer");
    }

    static void WriteValue(BinaryWriter w, object value, string key)
    {
        switch (value)
        {
            case byte v: w.Write(v); break;
            case sbyte v: w.Write(v); break;
            case ushort v: w.Write(v); break;
            case short v: w.Write(v); break;
            case uint v: w.Write(v); break;
            case int v: w.Write(v); break;
            case float v: w.Write(v); break;
            case bool v: w.Write((byte)(v ? 1 : 0)); break;
            case string v: WriteString(w, v); break;
            case ulong v: w.Write(v); break;
            case long v: w.Write(v); break;
            case double v: w.Write(v); break;
            default:
            {
                var a = AsArray(value, key);
                w.Write((uint)a.ElementType);
                w.Write((ulong)a.Count);
                foreach (var item in a.Values)
                {
                    if (a.ElementType != GgufValueType.Array && ValueType(item!, key) != a.ElementType)
                        throw new QuantReasonException($"metadata array '{key}' mixes element types", "GGUF writer");
                    WriteValue(w, item!, key);
                }
                break;
            }
        }
    }
}
