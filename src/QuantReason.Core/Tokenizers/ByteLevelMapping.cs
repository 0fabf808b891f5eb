namespace QuantReason.Tokenizers;

/// <summary>
/// GPT-2's reversible byte ↔ printable-character map: bytes that are printable Latin-1 map to themselves, the other 68
/// map to U+0100.. in byte order, so every byte sequence becomes a string without whitespace or control characters.
/// </summary>
public static class ByteLevelMapping
{
    static readonly char[] ByteToCharTable = BuildByteToChar();
    static readonly short[] CharToByteTable = BuildCharToByte();

    static char[] BuildByteToChar()
    {
        var table = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            table[b] = printable ? (char)b : (char)next++;
        }
        return table;
    }

    static short[] BuildCharToByte()
    {
        var table = new short[512];
        Array.Fill(table, (short)-1);
        for (var b = 0; b < 256; b++) table[ByteToCharTable[b]] = (short)b;
        return table;
    }

    public static char ByteToChar(byte b) => ByteToCharTable[b];

    /// <summary>The byte a mapped character stands for, or -1 if the character is not in the map.</summary>
    public static int CharToByte(char c) => c < 512 ? CharToByteTable[c] : -1;

    /// <summary>UTF-8 bytes of <paramref name="text"/> as mapped characters.</summary>
    public static string Encode(string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        return string.Create(bytes.Length, bytes, static (span, b) =>
        {
            for (var i = 0; i < b.Length; i++) span[i] = ByteToCharTable[b[i]];
        });
    }

    /// <summary>Appends the bytes of a mapped string; characters outside the map contribute their own UTF-8.</summary>
    public static void Decode(string mapped, List<byte> output)
    {
        Span<byte> buf = stackalloc byte[4];
        foreach (var rune in mapped.EnumerateRunes())
        {
            var b = rune.IsBmp ? CharToByte((char)rune.Value) : -1;
            if (b >= 0) { output.Add((byte)b); continue; }
            var n = rune.EncodeToUtf8(buf);
            for (var i = 0; i < n; i++) output.Add(buf[i]);
        }
    }
}
