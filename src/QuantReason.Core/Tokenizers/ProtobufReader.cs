using System.Buffers.Binary;
using System.Text;

namespace QuantReason.Tokenizers;

/// <summary>
/// Minimal protobuf wire-format reader (varint, 64-bit, length-delimited, 32-bit) — enough for sentencepiece's
/// ModelProto. Every malformed or truncated field becomes a <see cref="QuantReasonException"/> naming the file and offset.
/// </summary>
internal ref struct ProtobufReader
{
    readonly ReadOnlySpan<byte> _data;
    readonly string _where;
    readonly int _baseOffset;
    int _pos;

    public ProtobufReader(ReadOnlySpan<byte> data, string where, int baseOffset = 0)
    {
        _data = data;
        _where = where;
        _baseOffset = baseOffset;
        _pos = 0;
    }

    public bool End => _pos >= _data.Length;
    public int Offset => _baseOffset + _pos;

    QuantReasonException Corrupt(string what) =>
        new($"corrupt protobuf: {what} at byte {Offset}", _where);

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (_pos >= _data.Length) throw Corrupt("truncated varint");
            var b = _data[_pos++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw Corrupt("varint longer than 10 bytes");
    }

    /// <summary>Reads a field key; returns (field number, wire type).</summary>
    public (int Field, int WireType) ReadKey()
    {
        var key = ReadVarint();
        var field = (int)(key >> 3);
        var wire = (int)(key & 7);
        if (field == 0) throw Corrupt("field number 0");
        return (field, wire);
    }

    public ReadOnlySpan<byte> ReadBytes(out int offset)
    {
        var len = ReadVarint();
        if (len > (ulong)(_data.Length - _pos)) throw Corrupt($"length {len} runs past the end");
        offset = Offset;
        var span = _data.Slice(_pos, (int)len);
        _pos += (int)len;
        return span;
    }

    public string ReadString() => Encoding.UTF8.GetString(ReadBytes(out _));

    public float ReadFloat()
    {
        if (_data.Length - _pos < 4) throw Corrupt("truncated fixed32");
        var v = BinaryPrimitives.ReadSingleLittleEndian(_data.Slice(_pos, 4));
        _pos += 4;
        return v;
    }

    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case 0: ReadVarint(); break;
            case 1:
                if (_data.Length - _pos < 8) throw Corrupt("truncated fixed64");
                _pos += 8;
                break;
            case 2: ReadBytes(out _); break;
            case 5:
                if (_data.Length - _pos < 4) throw Corrupt("truncated fixed32");
                _pos += 4;
                break;
            default: throw Corrupt($"unsupported wire type {wireType}");
        }
    }

    public void Expect(int wireType, int actual, int field)
    {
        if (wireType != actual) throw Corrupt($"field {field} has wire type {actual}, expected {wireType}");
    }
}
