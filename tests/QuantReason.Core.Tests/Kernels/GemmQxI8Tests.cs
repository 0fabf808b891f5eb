using QuantReason.Kernels;
using QuantReason.Quantization;
using QuantReason.Tests.Quantization;
using QuantReason.Weights;

namespace QuantReason.Tests.Kernels;

/// <summary>The multi-token integer kernel: its unpacked lane order against the packed layout, every SIMD path against
/// the exact-integer scalar reference, and its stated bound against the f64 definition with unrounded activations.</summary>
public unsafe class GemmQxI8Tests
{
    static QuantizedLinear Weight(int bits, int group, int outF, int inF, int seed) =>
        QuantizedLinear.Pack(Rtn.Quantize(TestData.Gaussian(new Random(seed), outF * inF), outF, inF, QuantFormat.Int(bits, group, sym: false)));

    [Theory]
    [InlineData(2, 128, 384)] // a partial last chunk
    [InlineData(3, 128, 512)]
    [InlineData(4, 64, 256)]
    [InlineData(8, -1, 192)]
    public void UnpackedCodesFollowTheLaneOrder(int bits, int group, int inF)
    {
        var w = Weight(bits, group, 6, inF, bits);
        var rows = w.Rows;
        int c = GemmQxI8.ChunkColumns(bits), chunks = (inF + c - 1) / c;
        var buf = new byte[chunks * 4 * c];
        fixed (byte* b = buf)
            for (int tile = 0; tile < 4; tile++)
            {
                Array.Clear(buf);
                if (tile < 2) GemmQxI8.Unpack(rows, tile * 4, 0, inF, b);
                else GemmQxI8.UnpackPortable(rows, (tile - 2) * 4, 0, inF, b);
                for (int ci = 0; ci < chunks; ci++)
                    for (int pos = 0; pos < c; pos++)
                    {
                        int k = ci * c + IntActivations.Column(bits, pos);
                        if (k >= inF) continue;
                        int slot = pos / 16, lane = pos % 16;
                        for (int r = 0; r < 4; r++)
                        {
                            int o = tile % 2 * 4 + r;
                            int expected = o < 6 ? rows.Code(o, k) : 0;
                            Assert.True(expected == buf[ci * 4 * c + slot * 64 + r * 16 + lane], $"bits {bits} row {o} column {k}");
                        }
                    }
            }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(8)]
    public void LaneOrderIsAPermutationOfEachChunk(int bits)
    {
        int c = GemmQxI8.ChunkColumns(bits);
        var seen = new bool[c];
        for (int pos = 0; pos < c; pos++)
        {
            int col = IntActivations.Column(bits, pos);
            Assert.False(seen[col], $"column {col} twice");
            seen[col] = true;
        }
        Assert.All(seen, Assert.True);
    }

    public static IEnumerable<object[]> Shapes()
    {
        foreach (var (bits, group, outF, inF) in new[] { (4, 128, 38, 2304), (4, 64, 9, 512), (8, -1, 21, 2560), (8, 32, 8, 256), (2, 128, 14, 640), (3, 128, 10, 384), (2, -1, 7, 512) })
            foreach (int planes in new[] { 1, 2 })
                yield return [bits, group, outF, inF, planes];
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EveryPathEqualsTheScalarReference(int bits, int group, int outF, int inF, int planes)
    {
        var w = Weight(bits, group, outF, inF, bits * 31 + outF);
        Assert.True(GemmQxI8.Supports(w.Rows));
        foreach (int tokens in new[] { 1, 3, 6 })
        {
            var x = TestData.Gaussian(new Random(tokens + inF), tokens * inF);
            var a = w.Activations(x, tokens, planes);
            var r = new float[tokens * outF];
            GemmQxI8.Reference(w.Rows, a, r);
            var paths = new List<GemmQxI8.Path> { GemmQxI8.Path.Portable };
            if (System.Runtime.Intrinsics.X86.Avx2.IsSupported) paths.Add(GemmQxI8.Path.Avx2);
            if (System.Runtime.Intrinsics.X86.AvxVnni.IsSupported) paths.Add(GemmQxI8.Path.AvxVnni);
            if (System.Runtime.Intrinsics.X86.Avx512BW.IsSupported) paths.Add(GemmQxI8.Path.Avx512);
            foreach (var path in paths)
            {
                var y = new float[tokens * outF];
                GemmQxI8.Run(w.Rows, a, y, path);
                for (int i = 0; i < y.Length; i++)
                {
                    double mag = Magnitude(w, a, i / outF, i % outF);
                    Assert.True(Math.Abs(y[i] - r[i]) <= 1e-6 * mag, $"{path} bits {bits} planes {planes} [{i / outF},{i % outF}]: {y[i]} vs {r[i]}");
                }
            }
        }
    }

    /// <summary>Σ over activation groups of |s·xs|·Σ (q + |z|)·|x̃|: the size of the terms f32 rounds.</summary>
    static double Magnitude(QuantizedLinear w, IntActivations a, int t, int o)
    {
        var rows = w.Rows;
        double mag = 0;
        for (int k = 0; k < a.In; k++)
        {
            int g = k / rows.GroupLength;
            mag += Math.Abs(rows.Scale(o, g) * a.Scales[t * a.Groups + k / a.GroupLength]) * (rows.Code(o, k) + Math.Abs(rows.Zero(o, g))) * Math.Abs(a.Value(t, k));
        }
        return mag + 1e-30;
    }

    [Theory]
    [InlineData(4, 128, 1, 1e-2)]   // int8: |x − x̂| ≤ max/254 per group
    [InlineData(4, 128, 2, 1e-4)]   // 16-bit: ≤ max/65278
    [InlineData(8, -1, 1, 1e-2)]
    [InlineData(8, -1, 2, 1e-4)]
    [InlineData(3, 128, 2, 1e-4)]
    public void StaysWithinItsBoundOfTheF64DefinitionWithAnOutlier(int bits, int group, int planes, double typical)
    {
        int outF = 30, inF = 1024, tokens = 5;
        var w = Weight(bits, group, outF, inF, 7 * bits + planes);
        var x = TestData.Gaussian(new Random(planes), tokens * inF);
        x[2 * inF + 300] = 60; // an outlier: coarse steps for its token's group
        var a = w.Activations(x, tokens, planes);
        var y = new float[tokens * outF];
        GemmQxI8.Run(w.Rows, a, y);
        var r = new float[outF];
        var t8 = w.Unpack();
        double worst = 0;
        for (int t = 0; t < tokens; t++)
        {
            GemvQxF32.Reference(w.Rows, x.AsSpan(t * inF, inF), r);
            for (int o = 0; o < outF; o++)
            {
                double mag = 0;
                for (int k = 0; k < inF; k++) mag += Math.Abs(x[t * inF + k] * t8.Scales[o * t8.GroupCount + t8.GIdx[k]] * (t8.Codes[o * inF + k] - t8.Zeros[o * t8.GroupCount + t8.GIdx[k]]));
                double err = Math.Abs(y[t * outF + o] - r[o]), bound = GemmQxI8.ErrorBound(w.Rows, a, t, o) + 1e-6 * Magnitude(w, a, t, o);
                Assert.True(err <= bound, $"[{t},{o}] {y[t * outF + o]} vs {r[o]}: {err} > {bound}");
                worst = Math.Max(worst, err / mag);
            }
        }
        Assert.True(worst < typical, $"relative error {worst}");
    }

    [Fact]
    public void WeightOnlyForwardOfActOrderWeightsMatchesTheDefinition()
    {
        int outF = 20, inF = 512, tokens = 7;
        var rng = new Random(5);
        var wf = TestData.Gaussian(rng, outF * inF);
        var h = new Hessian(inF);
        h.Add(TestData.Gaussian(rng, 600 * inF), 600);
        var w = QuantizedLinear.Pack(Gptq.Quantize(wf, outF, inF, h, new GptqOptions(4, 128, ActOrder: true)).Quantized);
        Assert.NotNull(w.Perm);
        var x = TestData.Gaussian(rng, tokens * inF);
        var y = new float[tokens * outF];
        var r = new float[tokens * outF];
        w.Forward(x, y, tokens);
        w.ForwardReference(x, r, tokens);
        var a = w.Activations(x, tokens, planes: 2); // in stored column order, as Forward rounds them
        for (int i = 0; i < y.Length; i++)
        {
            double bound = GemmQxI8.ErrorBound(w.Rows, a, i / outF, i % outF) + 1e-6 * Magnitude(w, a, i / outF, i % outF);
            Assert.True(Math.Abs(y[i] - r[i]) <= bound, $"[{i}] {y[i]} vs {r[i]}: {Math.Abs(y[i] - r[i])} > {bound}");
        }
    }
}
