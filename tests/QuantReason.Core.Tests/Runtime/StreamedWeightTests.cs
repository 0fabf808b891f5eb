using System.Runtime.InteropServices;
using QuantReason.Models;
using QuantReason.Quantization;
using QuantReason.Runtime;
using QuantReason.Tests.Quantization;
using QuantReason.Weights;

namespace QuantReason.Tests.Runtime;

/// <summary>The memory a weight says it streams is exactly what it counts in ByteSize, and holds its data.</summary>
public class StreamedWeightTests
{
    public static IEnumerable<object[]> Weights()
    {
        var rng = new Random(9);
        int outF = 10, inF = 256;
        var w = TestData.Gaussian(rng, outF * inF);
        yield return ["f32", DenseLinear.FromF32(w, outF, inF)];
        yield return ["bf16", DenseLinear.FromBF16(w.Select(v => (ushort)(BitConverter.SingleToInt32Bits(v) >> 16)).ToArray(), outF, inF)];
        yield return ["q3 g64", QuantizedLinear.Pack(Rtn.Quantize(w, outF, inF, QuantFormat.Int(3, 64, sym: false)))];
        var h = new Hessian(inF);
        h.Add(TestData.Gaussian(rng, 300 * inF), 300);
        yield return ["q4 g64 act-order", QuantizedLinear.Pack(Gptq.Quantize(w, outF, inF, h, new GptqOptions(4, 64, ActOrder: true)).Quantized)];
    }

    [Theory]
    [MemberData(nameof(Weights))]
    public void StreamedBytesAreTheByteSizeAndDistinctBuffers(string name, ILinearWeight weight)
    {
        var spans = ((IStreamedWeight)weight).StreamedMemory;
        Assert.Equal(weight.ByteSize, spans.Sum(s => s.Bytes));
        var sorted = spans.OrderBy(s => s.Address).ToList();
        for (int i = 1; i < sorted.Count; i++) Assert.True(sorted[i - 1].Address + sorted[i - 1].Bytes <= sorted[i].Address, $"{name}: buffers overlap");
        Assert.All(spans, s => Assert.True(s.Address != 0 && s.Bytes % 4 == 0, name));
        // The addresses stay valid across a collection: every buffer is pinned.
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        Assert.Equal(spans.Select(s => s.Address), ((IStreamedWeight)weight).StreamedMemory.Select(s => s.Address));
    }
}
