using QuantReason.Quantization;
namespace QuantReason.Weights;

/// <summary>
/// The checkpoint bit-stream packing GPTQ tools use: value i of a sequence occupies bits [i·b, i·b + b) of a little-endian
/// stream of uint32 words, lowest index in the lowest bits, so 3-bit values straddle word boundaries.
/// </summary>
public static class BitPacking
{
    /// <summary>Words needed for <paramref name="count"/> values of <paramref name="bits"/> bits (count·b must be a multiple of 32).</summary>
    public static int Words(int count, int bits) => count * bits / 32;

    public static void Pack(ReadOnlySpan<uint> values, int bits, Span<uint> words)
    {
        words.Clear();
        uint mask = (1u << bits) - 1;
        for (int i = 0; i < values.Length; i++)
        {
            long bit = (long)i * bits;
            int w = (int)(bit >> 5), s = (int)(bit & 31);
            uint v = values[i] & mask;
            words[w] |= v << s;
            if (s + bits > 32) words[w + 1] |= v >> (32 - s);
        }
    }

    public static void Unpack(ReadOnlySpan<uint> words, int bits, Span<uint> values)
    {
        uint mask = (1u << bits) - 1;
        for (int i = 0; i < values.Length; i++)
        {
            long bit = (long)i * bits;
            int w = (int)(bit >> 5), s = (int)(bit & 31);
            uint v = words[w] >> s;
            if (s + bits > 32) v |= words[w + 1] << (32 - s);
            values[i] = v & mask;
        }
    }
}
