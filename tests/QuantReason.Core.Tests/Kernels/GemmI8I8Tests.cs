using QuantReason.Kernels;

namespace QuantReason.Tests.Kernels;

/// <summary>int8 dot products are exact, so every path must equal the scalar reference bit for bit.</summary>
public unsafe class GemmI8I8Tests
{
    [Theory]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(64)]
    [InlineData(1000)]
    [InlineData(4096)]
    public void EveryPathEqualsTheScalarReference(int n)
    {
        var rng = new Random(n);
        var a = new sbyte[n];
        var b = new sbyte[n];
        for (int i = 0; i < n; i++) { a[i] = (sbyte)rng.Next(-127, 128); b[i] = (sbyte)rng.Next(-127, 128); }
        // Extremes: all ±127 is the largest int16 pair sum vpmaddubsw sees (2·127² = 32258).
        if (n >= 64) for (int i = 0; i < 64; i++) { a[i] = (sbyte)(i % 2 == 0 ? 127 : -127); b[i] = (sbyte)(i % 2 == 0 ? 127 : -127); }
        fixed (sbyte* pa = a, pb = b)
        {
            int expected = GemmI8I8.DotScalar(pa, pb, n);
            Assert.Equal(expected, GemmI8I8.Dot(pa, pb, n, allowSimd: true));
            if (System.Runtime.Intrinsics.X86.Avx2.IsSupported) Assert.Equal(expected, GemmI8I8.DotAvx2(pa, pb, n));
            if (GemmI8I8.VnniAvailable) Assert.Equal(expected, GemmI8I8.DotVnni(pa, pb, n));
        }
    }

    [Fact]
    public void GemmEqualsDotsPerOutput()
    {
        var rng = new Random(2);
        int tokens = 3, outF = 9, n = 200;
        var a = new sbyte[tokens * n];
        var b = new sbyte[outF * n];
        for (int i = 0; i < a.Length; i++) a[i] = (sbyte)rng.Next(-127, 128);
        for (int i = 0; i < b.Length; i++) b[i] = (sbyte)rng.Next(-127, 128);
        var c = new int[tokens * outF];
        fixed (sbyte* pa = a, pb = b)
        fixed (int* pc = c)
        {
            GemmI8I8.Run(pa, pb, pc, tokens, outF, n);
            for (int t = 0; t < tokens; t++)
                for (int o = 0; o < outF; o++) Assert.Equal(GemmI8I8.DotScalar(pa + t * n, pb + o * n, n), c[t * outF + o]);
        }
    }
}
