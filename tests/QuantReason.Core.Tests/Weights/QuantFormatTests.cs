using QuantReason.Quantization;
using QuantReason.Weights;
using QuantReason.Tests;
using QuantReason.Tests.Quantization;

namespace QuantReason.Tests.Weights;

/// <summary>Every row of the format table: packing round trip, SIMD and portable kernels against the f64 reference,
/// and the reconstruction bound of its reference quantizer.</summary>
public class QuantFormatTests
{
    public static TheoryData<string> Formats()
    {
        var d = new TheoryData<string>();
        foreach (var f in QuantFormat.All) d.Add(f.Name);
        return d;
    }

    // 13 rows: not a multiple of the 4-row SIMD tile; 384 inputs: partial 256-code blocks for 1-bit planes.
    const int Out = 13, In = 384;

    static (float[] w, IQuantizedWeight q) Make(QuantFormat f, int seed)
    {
        var rng = new Random(seed);
        var w = TestData.WithOutlierColumns(rng, Out, In, 3, 8f);
        return (w, ReferenceQuantizer.Quantize(f, w, Out, In));
    }

    [Fact]
    public void TableCoversTheRequiredFormats()
    {
        Assert.Contains(QuantFormat.All, f => f is { Kind: QuantKind.IntN, Bits: 8, GroupSize: -1, Symmetric: true });
        foreach (var bits in new[] { 2, 3, 4, 8 })
            foreach (var g in new[] { -1, 32, 64, 128 })
                foreach (var sym in new[] { true, false })
                    Assert.Equal(bits, QuantFormat.Int(bits, g, sym).Bits);
        Assert.Contains(QuantFormat.All, f => f.Kind == QuantKind.W8A8);
        Assert.Contains(QuantFormat.All, f => f.Kind == QuantKind.TritPlanes);
        Assert.Equal(QuantFormat.All.Count, QuantFormat.All.Select(f => f.Name).Distinct().Count());
        foreach (var f in QuantFormat.All) Assert.Same(f, QuantFormat.Parse(f.Name));
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void PackUnpackRoundTripIsExact(string name)
    {
        var f = QuantFormat.Parse(name);
        var (w, q) = Make(f, 1);
        switch (q)
        {
            case QuantizedLinear ql:
            {
                var t = Rtn.Quantize(w, Out, In, f);
                AssertSame(t, ql.Unpack());
                AssertSame(t, QuantizedLinear.Pack(ql.Unpack()).Unpack());
                // An act-order g_idx (groups of shuffled channels) and random codes over the full range also survive.
                var rng = new Random(2);
                int gl = f.GroupLength(In);
                var perm = Enumerable.Range(0, In).OrderBy(_ => rng.Next()).ToArray();
                var gidx = new int[In];
                for (int p = 0; p < In; p++) gidx[perm[p]] = p / gl;
                var codes = new byte[Out * In];
                for (int i = 0; i < codes.Length; i++) codes[i] = (byte)rng.Next(f.MaxQ + 1);
                var shuffled = t with { Codes = codes, GIdx = gidx };
                var packed = QuantizedLinear.Pack(shuffled);
                if (gl < In) Assert.NotNull(packed.Perm); // one group per row needs no permutation
                AssertSame(shuffled, packed.Unpack());
                break;
            }
            case W8A8Linear wq:
            {
                var again = new W8A8Linear(Out, In, (sbyte[])wq.Codes.Clone(), (float[])wq.Scales.Clone());
                Assert.Equal(wq.ToF32(), again.ToF32());
                break;
            }
            case TritPlaneLinear tq:
            {
                var (t1, t2, a1, a2) = tq.Unpack();
                var again = new TritPlaneLinear(f, Out, In, t1, t2, a1, a2).Unpack();
                Assert.Equal(t1, again.T1);
                Assert.Equal(t2, again.T2);
                Assert.Equal(a1, again.Alpha1);
                Assert.Equal(a2, again.Alpha2);
                Assert.Contains(t1, v => v == -1);
                Assert.Contains(t1, v => v == 1);
                break;
            }
            default: throw new InvalidOperationException(q.GetType().Name);
        }
    }

    static void AssertSame(QuantizedTensor a, QuantizedTensor b)
    {
        Assert.Equal(a.Codes, b.Codes);
        Assert.Equal(a.Scales, b.Scales);
        Assert.Equal(a.Zeros, b.Zeros);
        Assert.Equal(a.GIdx, b.GIdx);
    }

    /// <summary>Tolerance: 1e-5 of the magnitude of the terms each path actually adds in f32 — Σ|x·ŵ|, and for integer
    /// formats Σ|x|·s·(q + z), since the fused kernel computes s·(Σxq − zΣx) and the two sums cancel.</summary>
    [Theory]
    [MemberData(nameof(Formats))]
    public void SimdAndPortableKernelsMatchTheReference(string name)
    {
        var f = QuantFormat.Parse(name);
        var (_, q) = Make(f, 3);
        var deq = q.ToF32();
        var mags = (float[])deq.Clone();
        if (q is QuantizedLinear ql)
        {
            var t = ql.Unpack();
            for (int o = 0; o < Out; o++)
                for (int k = 0; k < In; k++)
                {
                    int g = o * t.GroupCount + t.GIdx[k];
                    mags[o * In + k] = Math.Abs(t.Scales[g]) * (t.Codes[o * In + k] + t.Zeros[g]);
                }
        }
        foreach (int tokens in new[] { 1, 3 })
        {
            var x = TestData.Gaussian(new Random(4 + tokens), tokens * In);
            var yRef = new float[tokens * Out];
            var ySimd = new float[tokens * Out];
            var yPort = new float[tokens * Out];
            q.ForwardReference(x, yRef, tokens);
            q.Forward(x, ySimd, tokens, allowSimd: true);
            q.Forward(x, yPort, tokens, allowSimd: false);
            for (int t = 0; t < tokens; t++)
                for (int o = 0; o < Out; o++)
                {
                    double mag = 0;
                    for (int k = 0; k < In; k++) mag += Math.Abs(x[t * In + k] * mags[o * In + k]);
                    double tol = 1e-5 * mag + 1e-6;
                    Assert.True(Math.Abs(ySimd[t * Out + o] - yRef[t * Out + o]) <= tol, $"{name} simd t={t} o={o}: {ySimd[t * Out + o]} vs {yRef[t * Out + o]}");
                    Assert.True(Math.Abs(yPort[t * Out + o] - yRef[t * Out + o]) <= tol, $"{name} portable t={t} o={o}");
                }
        }
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void ReferenceQuantizerErrorIsBounded(string name)
    {
        var f = QuantFormat.Parse(name);
        var (w, q) = Make(f, 5);
        var deq = q.ToF32();
        switch (q)
        {
            case QuantizedLinear ql:
            {
                var t = ql.Unpack();
                for (int o = 0; o < Out; o++)
                    for (int k = 0; k < In; k++)
                    {
                        float s = t.Scales[o * t.GroupCount + t.GIdx[k]];
                        Assert.True(Math.Abs(deq[o * In + k] - w[o * In + k]) <= s / 2 * (1 + 1e-5) + 1e-6 * Math.Abs(w[o * In + k]), $"{name} [{o},{k}]");
                    }
                break;
            }
            case W8A8Linear wq:
                for (int o = 0; o < Out; o++)
                    for (int k = 0; k < In; k++)
                        Assert.True(Math.Abs(deq[o * In + k] - w[o * In + k]) <= wq.Scales[o] / 2 * (1 + 1e-5) + 1e-6 * Math.Abs(w[o * In + k]));
                break;
            case TritPlaneLinear tq:
            {
                // Each weight sits on the nearest of its group's nine levels α₁t₁ + α₂t₂.
                var (_, _, a1, a2) = tq.Unpack();
                for (int o = 0; o < Out; o++)
                    for (int k = 0; k < In; k++)
                    {
                        int g = o * tq.Groups + k / tq.GroupLength;
                        float best = float.PositiveInfinity;
                        for (int u = -1; u <= 1; u++)
                            for (int v = -1; v <= 1; v++)
                                best = Math.Min(best, Math.Abs(w[o * In + k] - (a1[g] * u + a2[g] * v)));
                        Assert.True(Math.Abs(deq[o * In + k] - w[o * In + k]) <= best * (1 + 1e-5) + 1e-6, $"{name} [{o},{k}]");
                    }
                break;
            }
        }
    }

    [Theory]
    [InlineData(5, 128)]
    [InlineData(4, 48)]
    [InlineData(1, -1)]
    [InlineData(4, 256)]
    public void UnsupportedCombinationsNameTheLayer(int bits, int group)
    {
        var ex = Assert.Throws<QuantReasonException>(() => QuantFormat.Int(bits, group, false, "model.layers.0.self_attn.q_proj"));
        Assert.Contains("model.layers.0.self_attn.q_proj", ex.Message);
        Assert.Contains("unsupported", ex.Message);
    }

    [Fact]
    public void UnknownNameListsTheTable()
    {
        var ex = Assert.Throws<QuantReasonException>(() => QuantFormat.Parse("q5_g128"));
        Assert.Contains("q4_g128", ex.Message);
    }

    [Fact]
    public void CorruptPlainTensorsAreRefusedWhenPacked()
    {
        var f = QuantFormat.Int(4, 32, false);
        var good = Rtn.Quantize(TestData.Gaussian(new Random(1), 8 * 64), 8, 64, f);
        Assert.Contains("lm.x", Assert.Throws<QuantReasonException>(() => QuantizedLinear.Pack(good with { Codes = new byte[10] }, "lm.x")).Message);
        var big = (byte[])good.Codes.Clone();
        big[3] = 16; // not a 4-bit code
        Assert.Contains("exceeds", Assert.Throws<QuantReasonException>(() => QuantizedLinear.Pack(good with { Codes = big }, "lm.x")).Message);
        var gidx = (int[])good.GIdx.Clone();
        gidx[0] = 1; // group 1 would get 33 channels
        Assert.Contains("g_idx", Assert.Throws<QuantReasonException>(() => QuantizedLinear.Pack(good with { GIdx = gidx }, "lm.x")).Message);
        var codes = new sbyte[8 * 64];
        codes[0] = sbyte.MinValue;
        Assert.Throws<QuantReasonException>(() => new W8A8Linear(8, 64, codes, new float[8], "lm.y"));
        Assert.Throws<QuantReasonException>(() => new TritPlaneLinear(QuantFormat.Parse("ptqtp_g32"), 8, 64, new sbyte[8 * 64], new sbyte[8 * 64], new float[8], new float[8], "lm.z"));
    }
}
