using QuantReason.Quantization;
namespace QuantReason.Weights;

/// <summary>
/// The in-memory packed layout the fused kernels read. A row of codes is cut into blocks of 8·(32/b) codes stored in 8
/// uint32 words; code e of a block sits in word e % 8 at bit (e / 8)·b. One 256-bit load therefore yields, after a shift
/// by n·b and a mask, the 8 consecutive codes 8n … 8n+7 in 8 lanes, so unpacking is one shift, one AND and one convert
/// per 8 weights. Widths 1, 2, 4, 8 pack directly; 3-bit codes are split into a 2-bit plane (low bits) and a 1-bit plane
/// (high bit), which keeps exactly 3 bits per weight without codes straddling words.
/// </summary>
public static class PackedCodes
{
    public static int CodesPerWord(int planeBits) => 32 / planeBits;

    public static int BlockCodes(int planeBits) => 8 * CodesPerWord(planeBits);

    /// <summary>uint32 words per row for one plane of <paramref name="planeBits"/> bits (the last block zero-padded).</summary>
    public static int WordsPerRow(int inFeatures, int planeBits) => (inFeatures + BlockCodes(planeBits) - 1) / BlockCodes(planeBits) * 8;

    /// <summary>The plane widths a code width is stored as: 3 → (2, 1), others → (b).</summary>
    public static int[] Planes(int bits) => bits switch
    {
        1 or 2 or 4 or 8 => [bits],
        3 => [2, 1],
        _ => throw new QuantReasonException($"no packed layout for {bits}-bit codes", "pack"),
    };

    /// <summary>Packs one row of codes (each &lt; 2^bits) of one plane: bits [shift, shift+planeBits) of each code.</summary>
    public static void PackRow(ReadOnlySpan<byte> codes, int planeBits, int shift, Span<uint> dst)
    {
        dst.Clear();
        int block = BlockCodes(planeBits);
        uint mask = (1u << planeBits) - 1;
        for (int k = 0; k < codes.Length; k++)
        {
            int b = k / block, e = k % block;
            dst[b * 8 + e % 8] |= ((uint)(codes[k] >> shift) & mask) << (e / 8 * planeBits);
        }
    }

    /// <summary>Adds one plane's bits back into a row of codes (the inverse of <see cref="PackRow"/>).</summary>
    public static void UnpackRow(ReadOnlySpan<uint> src, int planeBits, int shift, Span<byte> codes)
    {
        int block = BlockCodes(planeBits);
        uint mask = (1u << planeBits) - 1;
        for (int k = 0; k < codes.Length; k++)
        {
            int b = k / block, e = k % block;
            codes[k] |= (byte)(((src[b * 8 + e % 8] >> (e / 8 * planeBits)) & mask) << shift);
        }
    }
}
