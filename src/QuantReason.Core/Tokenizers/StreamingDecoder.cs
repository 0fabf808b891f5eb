using System.Text;

namespace QuantReason.Tokenizers;

/// <summary>
/// Incremental detokenization for generation: feed ids one at a time and get back only text whose UTF-8 is complete.
/// Byte-fallback pieces (&lt;0xF0&gt;&lt;0x9F&gt;…) and byte-level BPE tokens can split one character across
/// tokens; those bytes wait until the character is whole. The concatenation of all returned text plus
/// <see cref="Flush"/> equals <see cref="ITokenizer.Decode"/> of the same ids.
/// </summary>
public sealed class StreamingDecoder
{
    readonly ITokenizer _tokenizer;
    readonly bool _skipSpecialTokens;
    readonly Decoder _utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
    char[] _chars = new char[64];
    bool _started;

    public StreamingDecoder(ITokenizer tokenizer, bool skipSpecialTokens = true)
    {
        _tokenizer = tokenizer;
        _skipSpecialTokens = skipSpecialTokens;
    }

    /// <summary>Adds one token; returns the newly completed text (often empty while a character is incomplete).</summary>
    public string Push(int id)
    {
        if (_skipSpecialTokens && _tokenizer.IsSpecial(id)) return "";
        var bytes = _tokenizer.TokenBytes(id);
        if (!_started && bytes.Length > 0)
        {
            _started = true;
            // Same rule as Decode: the dummy-prefix space is dropped once, at the start of the text.
            if (_tokenizer.DecodeStripsLeadingSpace && bytes[0] == (byte)' ') bytes = bytes[1..];
        }
        return Convert(bytes, flush: false);
    }

    /// <summary>Ends the stream: bytes of an unfinished character come out as U+FFFD, as a full decode would.</summary>
    public string Flush() => Convert([], flush: true);

    public void Reset()
    {
        _utf8.Reset();
        _started = false;
    }

    string Convert(ReadOnlySpan<byte> bytes, bool flush)
    {
        var needed = _utf8.GetCharCount(bytes, flush);
        if (_chars.Length < needed + 4) _chars = new char[Math.Max(needed + 4, _chars.Length * 2)];
        var n = _utf8.GetChars(bytes, _chars, flush);
        return n == 0 ? "" : new string(_chars, 0, n);
    }
}
