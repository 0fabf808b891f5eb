using QuantReason.Kernels;
using QuantReason.Quantization;
using QuantReason.Tests.Quantization;
using QuantReason.Weights;

namespace QuantReason.Tests.Kernels;

/// <summary>The tiled layout of packed rows, independent of any kernel.</summary>
public unsafe class PackedRowsTests
{
    [Fact]
    public void HalfToSingleIsExactForEveryFiniteHalf()
    {
        var bits = new ushort[8];
        var got = new float[8];
        for (int h = 0; h < 65536; h += 8)
        {
            for (int i = 0; i < 8; i++) bits[i] = (ushort)(h + i);
            fixed (ushort* p = bits) System.Runtime.Intrinsics.Vector256.CopyTo(PackedRows.HalfToSingle8(p), got);
            for (int i = 0; i < 8; i++)
            {
                var half = BitConverter.UInt16BitsToHalf(bits[i]);
                if (!Half.IsFinite(half)) continue;
                Assert.True(BitConverter.SingleToInt32Bits((float)half) == BitConverter.SingleToInt32Bits(got[i]), $"0x{bits[i]:x4}: {(float)half} vs {got[i]}");
            }
        }
    }

    [Fact]
    public void TilesAreContiguousAndTheMapIsABijection()
    {
        int rows = 8, words = 48;
        var seen = new bool[rows * words];
        for (int o = 0; o < rows; o++)
            for (int j = 0; j < words; j++)
            {
                long i = PackedRows.TileWord(o, j, words);
                Assert.False(seen[i], $"({o}, {j}) collides");
                seen[i] = true;
                // Chunk j/16 of the tile o/4 is 64 consecutive words, row-major inside.
                Assert.Equal((o / 4 * (words / 16) + j / 16) * 64 + o % 4 * 16 + j % 16, i);
            }
    }

    [Theory]
    [InlineData(4, 32, 6, 160)]   // rows (6 → 8) and words (24 → 32) both padded
    [InlineData(3, 32, 5, 96)]
    [InlineData(2, -1, 3, 160)]
    [InlineData(8, 64, 9, 64)]
    public void CodesScalesAndZerosReadBackFromTheTiledLayout(int bits, int group, int outF, int inF)
    {
        var t = Rtn.Quantize(TestData.Gaussian(new Random(bits + outF), outF * inF), outF, inF, QuantFormat.Int(bits, group, sym: false));
        var rows = QuantizedLinear.Pack(t).Rows;
        Assert.Equal(0, rows.WordsLo % PackedRows.ChunkWords);
        for (int o = 0; o < outF; o++)
        {
            for (int k = 0; k < inF; k++)
                Assert.Equal(t.Codes[o * inF + k], rows.Code(o, k));
            for (int g = 0; g < t.GroupCount; g++)
            {
                Assert.Equal(t.Scales[o * t.GroupCount + g], rows.Scale(o, g));
                Assert.Equal(t.Zeros[o * t.GroupCount + g], rows.Zero(o, g));
            }
        }
    }
}
