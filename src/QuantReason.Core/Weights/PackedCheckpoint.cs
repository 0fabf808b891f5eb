using System.Runtime.InteropServices;
using System.Text.Json.Serialization;
using QuantReason.Tensors;
using QuantReason.Quantization;

namespace QuantReason.Weights;

/// <summary>
/// <c>quantization_config</c> for the formats with no Hugging Face layout of their own, written into config.json:
/// <list type="bullet">
/// <item><c>{"quant_method": "w8a8", "bits": 8, "group_size": -1, "activations": "int8-per-token-dynamic", "smoothquant_alpha": α}</c>:
/// per linear <c>weight</c> I8 [out, in] in [−127, 127] and <c>weight_scale</c> F32 [out]; ŵ = scale·q; activations are
/// quantized per token at run time (s = max|x|/127). SmoothQuant scales are already folded into the previous RMSNorm.</item>
/// <item><c>{"quant_method": "ptqtp", "bits": 2, "group_size": G, "planes": 2}</c>: per linear <c>trit_plane1</c>,
/// <c>trit_plane2</c> U8 [out, in/4] holding t + 1 ∈ {0, 1, 2} in 2 bits, four per byte along in_features, lowest
/// index in the lowest bits; <c>alpha1</c>, <c>alpha2</c> F32 [out, in/G]; ŵ = α₁·t₁ + α₂·t₂.</item>
/// </list>
/// </summary>
public sealed record PackedQuantConfig(
    [property: JsonPropertyName("quant_method")] string QuantMethod,
    [property: JsonPropertyName("bits")] int Bits,
    [property: JsonPropertyName("group_size")] int GroupSize,
    [property: JsonPropertyName("activations")] string? Activations = null,
    [property: JsonPropertyName("smoothquant_alpha")] double? SmoothQuantAlpha = null,
    [property: JsonPropertyName("planes")] int? Planes = null)
{
    public static PackedQuantConfig W8A8(double? alpha) => new("w8a8", 8, -1, "int8-per-token-dynamic", alpha);
    public static PackedQuantConfig Ptqtp(int groupSize) => new("ptqtp", 2, groupSize, Planes: 2);
}

/// <summary>Writes and reads W8A8 and trit-plane linears in the layouts <see cref="PackedQuantConfig"/> documents.</summary>
public static class PackedCheckpoint
{
    public static IEnumerable<TensorData> WriteW8A8(string prefix, W8A8Linear w) =>
    [
        new TensorData(prefix + ".weight", DType.I8, [w.OutFeatures, w.InFeatures], MemoryMarshal.AsBytes(w.Codes.AsSpan()).ToArray()),
        TensorData.F32(prefix + ".weight_scale", w.Scales, w.OutFeatures),
    ];

    public static W8A8Linear ReadW8A8(SafeTensorsFile file, string prefix)
    {
        var wi = Expect(file, prefix + ".weight", DType.I8, 2);
        int outF = (int)wi.Shape[0], inF = (int)wi.Shape[1];
        var si = Expect(file, prefix + ".weight_scale", DType.F32, 1);
        if (si.Shape[0] != outF) throw new QuantReasonException($"has shape {si.ShapeString}, expected [{outF}]", $"{file.Path}: {prefix}.weight_scale");
        var codes = MemoryMarshal.Cast<byte, sbyte>(file.Bytes(prefix + ".weight")).ToArray();
        return new W8A8Linear(outF, inF, codes, file.ReadF32(prefix + ".weight_scale"), prefix);
    }

    /// <summary>Packs trits (−1, 0, 1) four per byte as t + 1 in 2 bits, lowest index lowest.</summary>
    public static byte[] PackTrits(ReadOnlySpan<sbyte> t)
    {
        var b = new byte[(t.Length + 3) / 4];
        for (int i = 0; i < t.Length; i++) b[i / 4] |= (byte)((t[i] + 1) << (2 * (i % 4)));
        return b;
    }

    public static sbyte[] UnpackTrits(ReadOnlySpan<byte> b, int count, string where)
    {
        var t = new sbyte[count];
        for (int i = 0; i < count; i++)
        {
            int c = (b[i / 4] >> (2 * (i % 4))) & 3;
            if (c == 3) throw new QuantReasonException($"trit code 3 at element {i} is not in {{0, 1, 2}}", where);
            t[i] = (sbyte)(c - 1);
        }
        return t;
    }

    public static IEnumerable<TensorData> WriteTritPlanes(string prefix, TritPlaneLinear w)
    {
        var (t1, t2, a1, a2) = w.Unpack();
        long[] shape = [w.OutFeatures, w.InFeatures / 4];
        return
        [
            new TensorData(prefix + ".trit_plane1", DType.U8, shape, PackTrits(t1)),
            new TensorData(prefix + ".trit_plane2", DType.U8, shape, PackTrits(t2)),
            TensorData.F32(prefix + ".alpha1", a1, w.OutFeatures, w.Groups),
            TensorData.F32(prefix + ".alpha2", a2, w.OutFeatures, w.Groups),
        ];
    }

    public static TritPlaneLinear ReadTritPlanes(SafeTensorsFile file, string prefix, PackedQuantConfig config)
    {
        var p1 = Expect(file, prefix + ".trit_plane1", DType.U8, 2);
        int outF = (int)p1.Shape[0], inF = (int)p1.Shape[1] * 4;
        var p2 = Expect(file, prefix + ".trit_plane2", DType.U8, 2);
        if (!p2.Shape.SequenceEqual(p1.Shape)) throw new QuantReasonException($"has shape {p2.ShapeString}, expected {p1.ShapeString}", $"{file.Path}: {prefix}.trit_plane2");
        var format = QuantFormat.All.FirstOrDefault(f => f.Kind == QuantKind.TritPlanes && f.GroupSize == config.GroupSize)
            ?? throw new QuantReasonException($"unsupported trit-plane group size {config.GroupSize}", prefix);
        int groups = format.Groups(inF);
        foreach (var name in new[] { ".alpha1", ".alpha2" })
        {
            var a = Expect(file, prefix + name, DType.F32, 2);
            if (a.Shape[0] != outF || a.Shape[1] != groups)
                throw new QuantReasonException($"has shape {a.ShapeString}, expected [{outF}, {groups}]", $"{file.Path}: {prefix}{name}");
        }
        var t1 = UnpackTrits(file.Bytes(prefix + ".trit_plane1"), outF * inF, $"{file.Path}: {prefix}.trit_plane1");
        var t2 = UnpackTrits(file.Bytes(prefix + ".trit_plane2"), outF * inF, $"{file.Path}: {prefix}.trit_plane2");
        return new TritPlaneLinear(format, outF, inF, t1, t2, file.ReadF32(prefix + ".alpha1"), file.ReadF32(prefix + ".alpha2"), prefix);
    }

    static TensorInfo Expect(SafeTensorsFile file, string name, DType dtype, int rank)
    {
        if (!file.Contains(name)) throw new QuantReasonException("tensor missing", $"{file.Path}: {name}");
        var t = file.Info(name);
        if (t.DType != dtype || t.Shape.Length != rank)
            throw new QuantReasonException($"has {t.DType} {t.ShapeString}, expected a rank-{rank} {dtype} tensor", $"{file.Path}: {name}");
        return t;
    }
}
