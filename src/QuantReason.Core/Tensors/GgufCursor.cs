using System.Buffers.Binary;
using System.Text;

namespace QuantReason.Tensors;

/// <summary>
/// Bounds-checked little-endian reader over the mapped header of a GGUF file; every overrun becomes a
/// <see cref="QuantReasonException"/> naming the file and the byte offset, never an access violation.
/// </summary>
internal unsafe struct GgufCursor
{
    readonly byte* _base;
    readonly long _length;
    readonly string _path;

    public long Position;

    public GgufCursor(byte* basePtr, long length, string path)
    {
        _base = basePtr;
        _length = length;
        _path = path;
        Position = 0;
    }

    ReadOnlySpan<byte> Take(long count, string what)
    {
        if (count < 0 || count > int.MaxValue || Position + count > _length)
            throw new QuantReasonException(
                $"truncated GGUF file: reading {what} ({count} bytes) at byte {Position} runs past the end ({_length} bytes)", _path);
        var span = new ReadOnlySpan<byte>(_base + Position, (int)count);
        Position += count;
        return span;
    }

    public byte U8(string what) => Take(1, what)[0];
    public ushort U16(string what) => BinaryPrimitives.ReadUInt16LittleEndian(Take(2, what));
    public uint U32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, what));
    public ulong U64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, what));
    public float F32(string what) => BinaryPrimitives.ReadSingleLittleEndian(Take(4, what));
    public double F64(string what) => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, what));

    /// <summary>A gguf_string: u64 byte length then UTF-8 bytes (no terminator).</summary>
    public string Str(string what)
    {
        var start = Position;
        var len = U64(what);
        if (len > (ulong)(_length - Position))
            throw new QuantReasonException(
                $"truncated GGUF file: {what} at byte {start} claims {len} bytes but only {_length - Position} remain", _path);
        return Encoding.UTF8.GetString(Take((long)len, what));
    }

    public long Remaining => _length - Position;
}
