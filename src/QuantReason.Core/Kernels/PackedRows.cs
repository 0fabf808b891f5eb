using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace QuantReason.Kernels;

/// <summary>
/// Operands of the fused group-dequant kernels: packed 2/3/4/8-bit codes, per-group scales and zeros (f32, or fp16 bits
/// when every value is an fp16 number, as GPTQ/AWQ checkpoints store them: <see cref="HalfParams"/>), rows of
/// <see cref="In"/> codes whose groups are contiguous runs of <see cref="GroupLength"/> (callers permute x for act-order
/// weights). Inside a row, words follow the <see cref="Quantization.PackedCodes"/> layout (blocks of 8 words, field n of
/// word j = column n·8 + j); the rows themselves are tiled: 4 rows × 16 words (one cache line each) are 256 contiguous
/// bytes, and a tile row's chunks follow in column order, so word j of row o sits at
/// ((o/4)·wordsPerRow + j − j mod 16)·4 + (o mod 4)·16 + j mod 16 (<see cref="TileWord"/>), rows padded to a multiple of
/// 4 and words per row to a multiple of 16 by zeros. Scales and zeros are tiled alike: per 4 rows and group, the 4
/// scales then the 4 zeros (<see cref="Params"/>), so the kernels stream them with the codes rather than from 8 places.
/// </summary>
/// <remarks>
/// Why tiles: the four-row kernels then read one sequential stream per thread instead of four streams a row apart, which
/// lets a software prefetch into L2 a few KB ahead keep the stream in flight; on the 2-core Zen 4 VM the 4-bit kernel
/// pulled ≈25 GB/s from DRAM over row-major rows (prefetch did not help there) and ≈35 GB/s over tiles with it.
/// </remarks>
public readonly unsafe struct PackedRows
{
    public const int TileRows = 4, ChunkWords = 16;

    public readonly int Bits, Out, In, GroupLength, Groups, WordsLo, WordsHi;
    public readonly uint* Lo;       // [⌈out/4⌉, WordsLo/16, 4, 16]  the 2/4/8-bit plane (the low two bits for 3-bit codes)
    public readonly uint* Hi;       // [⌈out/4⌉, WordsHi/16, 4, 16]  the high bit of 3-bit codes, else null
    public readonly float* Params;  // [⌈out/4⌉, groups, 2, 4]  per tile and group: 4 scales, then 4 zeros; null when fp16
    public readonly ushort* HalfParams; // [⌈out/4⌉, groups, 2, 4]  the same as fp16 bits; null when f32

    public PackedRows(int bits, int outFeatures, int inFeatures, int groupLength, uint* lo, int wordsLo, uint* hi, int wordsHi, float* parameters,
        ushort* halfParameters = null)
    {
        Bits = bits; Out = outFeatures; In = inFeatures; GroupLength = groupLength; Groups = inFeatures / groupLength;
        Lo = lo; WordsLo = wordsLo; Hi = hi; WordsHi = wordsHi; Params = parameters; HalfParams = halfParameters;
    }

    /// <summary>Index of row o's scale for group g in a tiled parameter array (its zero is 4 further).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long ParamIndex(int o, int g, int groups) => ((long)(o >> 2) * groups + g) * 2 * TileRows + (o & 3);

    public float Scale(int o, int g) => Param(ParamIndex(o, g, Groups));
    public float Zero(int o, int g) => Param(ParamIndex(o, g, Groups) + TileRows);

    float Param(long i) => HalfParams is null ? Params[i] : (float)BitConverter.UInt16BitsToHalf(HalfParams[i]);

    /// <summary>The 8 parameters of tile o/4 for group g as f32 (4 scales, then 4 zeros): in place, or converted from
    /// fp16 into <paramref name="tmp"/> [8] (once per tile and group, shared by its 4 rows' codes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float* GroupParams(int o, int g, float* tmp)
    {
        long i = ((long)(o >> 2) * Groups + g) * 2 * TileRows;
        if (HalfParams is null) return Params + i;
        HalfToSingle8(HalfParams + i).Store(tmp);
        return tmp;
    }

    /// <summary>8 fp16 values to f32, exactly: the 15 magnitude bits moved to an f32's exponent and mantissa and scaled by
    /// 2^112 (the difference of the biases; exact for normal and subnormal halves), then the sign. Packing stores fp16
    /// only for finite values, so infinities and NaNs never reach this.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> HalfToSingle8(ushort* p)
    {
        var u = Avx2.IsSupported ? Avx2.ConvertToVector256Int32(p).AsUInt32() : Vector256.WidenLower(Vector128.Load(p).ToVector256());
        var mag = ((u & Vector256.Create(0x7FFFu)) << 13).AsSingle() * Vector256.Create(BitConverter.Int32BitsToSingle(0x77800000)); // 2^112
        return (mag.AsUInt32() | ((u & Vector256.Create(0x8000u)) << 16)).AsSingle();
    }

    public int LoBits => Bits == 3 ? 2 : Bits;

    /// <summary>Index of word j of row o in a tiled plane of <paramref name="wordsPerRow"/> (a multiple of 16) words per row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long TileWord(int o, int j, int wordsPerRow) =>
        (long)(o >> 2) * wordsPerRow * TileRows + ((o & 3) << 4) + InTile(j);

    /// <summary>Offset of row 0's word j from its tile's start (row i's is 16·i further).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long InTile(int j) => (long)(j & ~(ChunkWords - 1)) * TileRows + (j & (ChunkWords - 1));

    /// <summary>Words per row of a tiled plane: the row-major count rounded up to whole chunks.</summary>
    public static int PaddedWords(int words) => (words + ChunkWords - 1) / ChunkWords * ChunkWords;

    /// <summary>Rows a tiled plane holds: <paramref name="rows"/> rounded up to whole tiles.</summary>
    public static int PaddedRows(int rows) => (rows + TileRows - 1) / TileRows * TileRows;

    /// <summary>Scatters row o's row-major words into a tiled plane (the inverse of <see cref="GatherRow"/>).</summary>
    public static void ScatterRow(ReadOnlySpan<uint> row /* [wordsPerRow] */, Span<uint> plane, int o, int wordsPerRow)
    {
        for (int j = 0; j < wordsPerRow; j += ChunkWords)
            row.Slice(j, ChunkWords).CopyTo(plane.Slice((int)TileWord(o, j, wordsPerRow), ChunkWords));
    }

    public static void GatherRow(ReadOnlySpan<uint> plane, int o, int wordsPerRow, Span<uint> row /* [wordsPerRow] */)
    {
        for (int j = 0; j < wordsPerRow; j += ChunkWords)
            plane.Slice((int)TileWord(o, j, wordsPerRow), ChunkWords).CopyTo(row.Slice(j, ChunkWords));
    }

    /// <summary>Word j of row o of each plane.</summary>
    public uint* LoWord(int o, int j) => Lo + TileWord(o, j, WordsLo);
    public uint* HiWord(int o, int j) => Hi + TileWord(o, j, WordsHi);

    /// <summary>The code at row o, column k (the layout's definition, used by the scalar paths).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Code(int o, int k)
    {
        int lb = LoBits, cpw = 32 / lb, block = 8 * cpw, e = k % block;
        int q = (int)((*LoWord(o, k / block * 8 + e % 8) >> (e / 8 * lb)) & ((1u << lb) - 1));
        if (Bits == 3)
        {
            int eh = k % 256;
            q |= (int)((*HiWord(o, k / 256 * 8 + eh % 8) >> (eh / 8)) & 1u) << 2;
        }
        return q;
    }
}
