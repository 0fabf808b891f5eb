using QuantReason.Kernels;
using QuantReason.Models;
using QuantReason.Quantization;
using QuantReason.Runtime;
using QuantReason.Tests.Quantization;
using QuantReason.Tests.StepMath;
using RuntimeModel = QuantReason.Runtime.Model;

namespace QuantReason.Tests.Kernels;

/// <summary>The 16-bit-activation GEMV: its lane order against the packed layout, the SIMD kernel against its f64
/// reference, and the stated tolerance against the f32 definition, on kernels and on a whole model's decode.</summary>
public class GemvQxI16Tests
{
    static QuantizedLinear Packed(Random rng, int bits, int group, int outF, int inF) =>
        QuantizedLinear.Pack(Rtn.Quantize(TestData.Gaussian(rng, outF * inF), outF, inF, QuantFormat.Int(bits, group, sym: false)));

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    public unsafe void LaneOrderNamesTheCodeEachLaneHolds(int bits)
    {
        // Extract field m of every 16-bit lane straight from the packed words; it must be the code ColumnOf names.
        var w = Packed(new Random(bits), bits, -1, 4, 2 * 16 * (32 / bits));
        var rows = w.Rows;
        int f = 16 / bits, chunkCodes = 16 * (32 / bits);
        for (int o = 0; o < 4; o++)
            for (int c = 0; c < w.InFeatures / chunkCodes; c++)
            {
                var seen = new HashSet<int>();
                for (int m = 0; m < f; m++)
                    for (int lane = 0; lane < 32; lane++)
                    {
                        var half = (ushort)(rows.Lo[(long)o * rows.WordsLo + c * 16 + lane / 2] >> (16 * (lane % 2)));
                        int code = (half >> (bits * m)) & ((1 << bits) - 1), k = GemvQxI16.ColumnOf(bits, c, m, lane);
                        Assert.Equal(rows.Code(o, k), code);
                        Assert.True(seen.Add(k), $"column {k} twice in chunk {c}");
                        Assert.InRange(k, c * chunkCodes, (c + 1) * chunkCodes - 1);
                    }
            }
    }

    [Theory]
    [InlineData(4, 128, 260, 1024)]  // 4-row tiles plus a tail
    [InlineData(4, -1, 36, 2048)]    // per channel
    [InlineData(2, -1, 40, 1024)]      // 2-bit: chunks of 256 codes, so per channel only
    [InlineData(8, 128, 24, 512)]
    public void KernelEqualsItsReferenceAndStaysWithinTheStatedTolerance(int bits, int group, int outF, int inF)
    {
        var rng = new Random(bits * 13 + outF);
        var w = Packed(rng, bits, group, outF, inF);
        var rows = w.Rows;
        Assert.True(GemvQxI16.Supports(rows) || !System.Runtime.Intrinsics.X86.Avx512BW.IsSupported);
        if (!GemvQxI16.Supports(rows)) return;
        var x = TestData.Gaussian(rng, inF);
        x[3] = 40f; // an outlier: the group's other elements keep fewer bits, which the bound below accounts for
        var y = new float[outF];
        GemvQxI16.Run(rows, x, y);

        var a = new ActivationsI16(inF, rows.Groups);
        a.Quantize(x, rows.GroupLength);
        var r = new float[outF];
        GemvQxI16.Reference(rows, a, r);
        var exact = new float[outF];
        GemvQxF32.Reference(rows, x, exact);
        var t = w.Unpack();
        for (int o = 0; o < outF; o++)
        {
            double mag = 0, bound = 0; // Σ|x·ŵ|, and Σ|ŵ|·xs/2: the most that rounding x to 16 bits can move y
            for (int k = 0; k < inF; k++)
            {
                int g = o * t.GroupCount + t.GIdx[k];
                double wk = Math.Abs(t.Scales[g] * (t.Codes[o * inF + k] - t.Zeros[g]));
                mag += Math.Abs(x[k]) * wk;
                bound += wk * a.Scale[t.GIdx[k]] / 2;
            }
            Assert.True(Math.Abs(y[o] - r[o]) <= 1e-6 * mag, $"{bits}-bit [{o}]: kernel {y[o]} vs reference {r[o]}");
            Assert.True(Math.Abs(y[o] - exact[o]) <= bound + 1e-6 * mag, $"{bits}-bit [{o}]: {y[o]} vs f32 definition {exact[o]}, bound {bound}");
        }
    }

    [Fact]
    public void AppliesOnlyWhereGroupsHoldWholeChunksAndSumsCannotOverflow()
    {
        if (!System.Runtime.Intrinsics.X86.Avx512BW.IsSupported) return;
        var rng = new Random(3);
        Assert.True(GemvQxI16.Supports(Packed(rng, 4, 128, 4, 256).Rows));
        Assert.False(GemvQxI16.Supports(Packed(rng, 4, 64, 4, 256).Rows));   // half a chunk per group
        Assert.False(GemvQxI16.Supports(Packed(rng, 3, 128, 4, 256).Rows));  // two planes
        Assert.True(GemvQxI16.Supports(Packed(rng, 8, -1, 4, 4096).Rows));   // 256 · 255 · 32767 < 2³¹
        Assert.False(GemvQxI16.Supports(Packed(rng, 8, -1, 4, 8192).Rows));  // 512 · 255 · 32767 ≥ 2³¹
    }

    [Fact]
    public void NonFiniteActivationsGiveNaNAsTheF32KernelWould()
    {
        if (!System.Runtime.Intrinsics.X86.Avx512BW.IsSupported) return;
        var w = Packed(new Random(4), 4, 128, 8, 256);
        var x = TestData.Gaussian(new Random(5), 256);
        x[200] = float.NaN;
        var y = new float[8];
        GemvQxI16.Run(w.Rows, x, y);
        Assert.All(y, v => Assert.True(float.IsNaN(v)));
    }

    [Fact]
    public void DecodeOfTheReferenceModelAt4BitG128MatchesItsDequantizedWeights()
    {
        // Token-by-token decode calls every linear with one token: the GEMV path, 16-bit activations wherever the
        // group holds whole chunks (in_features 128), f32 activations elsewhere (down_proj, 320).
        var dir = RepoFiles.PathOf("data", "models", "stepmath-ref");
        var qm = RuntimeModel.Load(dir);
        var dm = RuntimeModel.Load(dir);
        var (q, d) = (qm.Transformer, dm.Transformer);
        int usesI16 = 0;
        for (int l = 0; l < qm.Weights.Layers.Length; l++)
            foreach (var n in WeightNames.Linears)
            {
                var src = qm.Weights.Layers[l][n];
                int group = src.InFeatures % 128 == 0 ? 128 : -1;
                var packed = QuantizedLinear.Pack(Rtn.Quantize(src.ToF32(), src.OutFeatures, src.InFeatures, QuantFormat.Int(4, group, sym: false)));
                usesI16 += GemvQxI16.Supports(packed.Rows) ? 1 : 0;
                qm.Weights.Layers[l][n] = packed;
                dm.Weights.Layers[l][n] = DenseLinear.FromF32(packed.ToF32(), src.OutFeatures, src.InFeatures);
            }
        if (System.Runtime.Intrinsics.X86.Avx512BW.IsSupported) Assert.True(usesI16 > 0);
        q.Precision = d.Precision = ActivationPrecision.F32;
        var ids = Enumerable.Range(0, 40).Select(i => 4 + i * 7 % 36).ToArray(); // any in-vocabulary ids
        var cq = q.NewCache();
        var cd = d.NewCache();
        double maxDiff = 0, maxRef = 0;
        foreach (var id in ids)
        {
            var a = q.Forward([new SequenceChunk(cq, [id])], LogitsMode.Last);
            var b = d.Forward([new SequenceChunk(cd, [id])], LogitsMode.Last);
            for (int i = 0; i < a.Length; i++)
            {
                maxDiff = Math.Max(maxDiff, Math.Abs((double)a[i] - b[i]));
                maxRef = Math.Max(maxRef, Math.Abs((double)b[i]));
            }
        }
        Assert.True(maxDiff <= 1e-4 * maxRef, $"max |Δ| = {maxDiff:E3} > 1e-4 · {maxRef:E3}");
    }
}
