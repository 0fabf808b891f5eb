using System.Runtime.InteropServices;
using System.Text.Json.Serialization;
using QuantReason.Tensors;
using QuantReason.Quantization;

namespace QuantReason.Weights;

/// <summary>The AutoAWQ config (<c>quant_config.json</c>, or <c>quantization_config</c> with bits/group_size in transformers).</summary>
public sealed record AwqConfig(
    [property: JsonPropertyName("w_bit")] int Bits = 4,
    [property: JsonPropertyName("q_group_size")] int GroupSize = 128,
    [property: JsonPropertyName("zero_point")] bool ZeroPoint = true,
    [property: JsonPropertyName("version")] string Version = "gemm",
    [property: JsonPropertyName("quant_method")] string QuantMethod = "awq");

/// <summary>
/// AWQ "gemm" checkpoints (AutoAWQ): 4-bit only; <c>qweight</c> int32 [K, N/8] packed along out_features with the
/// field order 0,2,4,6,1,3,5,7 (field i of a word holds column 8j + Order[i]); <c>qzeros</c> int32 [K/G, N/8] packed the
/// same way with zeros stored as is; fp16 <c>scales</c> [K/G, N]; w = (q − z)·s. Activation scales are folded into the
/// previous op and never stored.
/// </summary>
public static class AwqCheckpoint
{
    /// <summary>Field i of a packed word holds column Order[i] of its 8-column group.</summary>
    public static readonly int[] Order = [0, 2, 4, 6, 1, 3, 5, 7];

    /// <summary>Packs one row of N 4-bit values (N a multiple of 8) into N/8 words in AWQ order.</summary>
    public static void PackRow(ReadOnlySpan<uint> values, Span<uint> words)
    {
        for (int j = 0; j < words.Length; j++)
        {
            uint w = 0;
            for (int i = 0; i < 8; i++) w |= (values[j * 8 + Order[i]] & 15u) << (4 * i);
            words[j] = w;
        }
    }

    public static void UnpackRow(ReadOnlySpan<uint> words, Span<uint> values)
    {
        for (int j = 0; j < words.Length; j++)
            for (int i = 0; i < 8; i++) values[j * 8 + Order[i]] = (words[j] >> (4 * i)) & 15u;
    }

    public static IEnumerable<TensorData> Write(string prefix, QuantizedTensor t)
    {
        t.Validated(prefix);
        int n = t.OutFeatures, k = t.InFeatures, groups = t.GroupCount;
        if (t.Format.Bits != 4) throw new QuantReasonException($"AWQ gemm checkpoints hold 4-bit weights, not {t.Format.Bits}-bit", prefix);
        if (n % 8 != 0) throw new QuantReasonException($"AWQ packing needs out_features divisible by 8, got {n}", prefix);
        for (int i = 0; i < k; i++)
            if (t.GIdx[i] != i / (k / groups)) throw new QuantReasonException("AWQ checkpoints have no g_idx: act-order weights cannot be stored", prefix);
        var qweight = new uint[(long)k * (n / 8)]; // [K, N/8]
        var row = new uint[n];
        for (int i = 0; i < k; i++)
        {
            for (int o = 0; o < n; o++) row[o] = t.Codes[(long)o * k + i];
            PackRow(row, qweight.AsSpan(i * (n / 8), n / 8));
        }
        var qzeros = new uint[groups * (n / 8)]; // [groups, N/8]
        var scales = new float[groups * n];      // [groups, N]
        for (int g = 0; g < groups; g++)
        {
            for (int o = 0; o < n; o++) { row[o] = (uint)t.Zeros[o * groups + g]; scales[g * n + o] = t.Scales[o * groups + g]; }
            PackRow(row, qzeros.AsSpan(g * (n / 8), n / 8));
        }
        return
        [
            new TensorData(prefix + ".qweight", DType.I32, [k, n / 8], MemoryMarshal.AsBytes(qweight.AsSpan()).ToArray()),
            new TensorData(prefix + ".qzeros", DType.I32, [groups, n / 8], MemoryMarshal.AsBytes(qzeros.AsSpan()).ToArray()),
            TensorData.F16(prefix + ".scales", scales, groups, n),
        ];
    }

    public static QuantizedTensor Read(SafeTensorsFile file, string prefix, AwqConfig config)
    {
        if (config.Bits != 4) throw new QuantReasonException($"AWQ gemm checkpoints hold 4-bit weights, config says {config.Bits}", prefix);
        var qw = Expect(file, prefix + ".qweight", DType.I32);
        int k = (int)qw.Shape[0], n = (int)qw.Shape[1] * 8;
        int gl = config.GroupSize <= 0 ? k : config.GroupSize;
        var format = QuantFormat.Int(4, config.GroupSize <= 0 ? -1 : config.GroupSize, sym: !config.ZeroPoint, prefix);
        format.Validate(n, k, prefix);
        int groups = k / gl;
        var qz = Expect(file, prefix + ".qzeros", DType.I32);
        if (qz.Shape[0] != groups || qz.Shape[1] != n / 8)
            throw new QuantReasonException($"qzeros has shape {qz.ShapeString}, expected [{groups}, {n / 8}]", prefix + ".qzeros");
        var sc = Expect(file, prefix + ".scales", DType.F16);
        if (sc.Shape[0] != groups || sc.Shape[1] != n)
            throw new QuantReasonException($"scales has shape {sc.ShapeString}, expected [{groups}, {n}]", prefix + ".scales");
        var qweight = MemoryMarshal.Cast<byte, uint>(file.Bytes(prefix + ".qweight"));
        var codes = new byte[(long)n * k];
        var row = new uint[n];
        for (int i = 0; i < k; i++)
        {
            UnpackRow(qweight.Slice(i * (n / 8), n / 8), row);
            for (int o = 0; o < n; o++) codes[(long)o * k + i] = (byte)row[o];
        }
        var qzeros = MemoryMarshal.Cast<byte, uint>(file.Bytes(prefix + ".qzeros"));
        var s = file.ReadF32(prefix + ".scales");
        var scales = new float[n * groups];
        var zeros = new float[n * groups];
        for (int g = 0; g < groups; g++)
        {
            UnpackRow(qzeros.Slice(g * (n / 8), n / 8), row);
            for (int o = 0; o < n; o++) { zeros[o * groups + g] = row[o]; scales[o * groups + g] = s[g * n + o]; }
        }
        return new QuantizedTensor(format, n, k, codes, scales, zeros, QuantizedTensor.SequentialGIdx(k, gl)).Validated(prefix);
    }

    static TensorInfo Expect(SafeTensorsFile file, string name, DType dtype)
    {
        if (!file.Contains(name)) throw new QuantReasonException("tensor missing", $"{file.Path}: {name}");
        var t = file.Info(name);
        if (t.DType != dtype || t.Shape.Length != 2)
            throw new QuantReasonException($"has {t.DType} {t.ShapeString}, expected a rank-2 {dtype} tensor", $"{file.Path}: {name}");
        return t;
    }
}
