using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using QuantReason.Tensors;
using QuantReason.Quantization;

namespace QuantReason.Weights;

/// <summary>The two zero-point conventions of GPTQ checkpoints: v1 ("gptq") stores zero − 1, v2 ("gptq_v2") stores zero.</summary>
public enum GptqCheckpointFormat { V1, V2 }

/// <summary>The <c>quantization_config</c> / <c>quantize_config.json</c> of a GPTQ checkpoint (AutoGPTQ / GPTQModel keys).</summary>
public sealed record GptqConfig(
    [property: JsonPropertyName("bits")] int Bits,
    [property: JsonPropertyName("group_size")] int GroupSize,
    [property: JsonPropertyName("desc_act")] bool DescAct = false,
    [property: JsonPropertyName("sym")] bool Sym = true,
    [property: JsonPropertyName("static_groups")] bool StaticGroups = false,
    [property: JsonPropertyName("damp_percent")] double DampPercent = 0.01,
    [property: JsonPropertyName("true_sequential")] bool TrueSequential = true,
    [property: JsonPropertyName("quant_method")] string QuantMethod = "gptq",
    [property: JsonPropertyName("checkpoint_format")] string CheckpointFormat = "gptq")
{
    [JsonIgnore] public GptqCheckpointFormat Zeros => CheckpointFormat == "gptq_v2" ? GptqCheckpointFormat.V2 : GptqCheckpointFormat.V1;

    /// <summary>Reads the config from a model directory: quantize_config.json, quant_config.json, or config.json's
    /// quantization_config, in that order. Missing <c>sym</c> defaults to true, as the readers do.</summary>
    public static GptqConfig Load(string modelDir)
    {
        foreach (var name in new[] { "quantize_config.json", "quant_config.json" })
        {
            var p = Path.Combine(modelDir, name);
            if (File.Exists(p)) return Parse(File.ReadAllText(p), p);
        }
        var cfg = Path.Combine(modelDir, "config.json");
        if (File.Exists(cfg))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(cfg));
            if (doc.RootElement.TryGetProperty("quantization_config", out var q)) return Parse(q.GetRawText(), cfg + ": quantization_config");
        }
        throw new QuantReasonException("no GPTQ quantization config (quantize_config.json or config.json quantization_config)", modelDir);
    }

    public static GptqConfig Parse(string json, string where)
    {
        try
        {
            var c = JsonSerializer.Deserialize<GptqConfig>(json) ?? throw new QuantReasonException("empty quantization config", where);
            if (c.QuantMethod != "gptq") throw new QuantReasonException($"quant_method is '{c.QuantMethod}', expected 'gptq'", where);
            return c;
        }
        catch (JsonException e)
        {
            throw new QuantReasonException($"malformed quantization config: {e.Message}", where, e);
        }
    }

    public string ToJson() => JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true });
}

/// <summary>
/// GPTQ linear layers in the Hugging Face layout (AutoGPTQ, GPTQModel, transformers, vLLM): <c>qweight</c> int32
/// [K·b/32, N] packed along in_features, <c>qzeros</c> int32 [groups, N·b/32] packed along out_features, fp16
/// <c>scales</c> [groups, N], int32 <c>g_idx</c> [K]; bit-stream packing (<see cref="BitPacking"/>). Dequantization is
/// w = scale·(q − zero) with zero = stored + 1 in v1, stored in v2.
/// </summary>
public static class GptqCheckpoint
{
    /// <summary>The tensors of one layer, named <c>{prefix}.qweight</c> etc. Scales are rounded to fp16.</summary>
    public static IEnumerable<TensorData> Write(string prefix, QuantizedTensor t, GptqCheckpointFormat zeros)
    {
        t.Validated(prefix);
        int n = t.OutFeatures, k = t.InFeatures, b = t.Format.Bits, groups = t.GroupCount;
        if (k * b % 32 != 0 || n * b % 32 != 0)
            throw new QuantReasonException($"GPTQ packing needs in_features·bits and out_features·bits to be multiples of 32 ([{n}, {k}], {b} bits)", prefix);
        var qweight = new uint[Words(k, b) * (long)n]; // [K·b/32, N]
        var col = new uint[k];
        var packed = new uint[Words(k, b)];
        for (int o = 0; o < n; o++)
        {
            for (int i = 0; i < k; i++) col[i] = t.Codes[(long)o * k + i];
            BitPacking.Pack(col, b, packed);
            for (int w = 0; w < packed.Length; w++) qweight[(long)w * n + o] = packed[w];
        }
        var qzeros = new uint[groups * Words(n, b)]; // [groups, N·b/32]
        var zrow = new uint[n];
        for (int g = 0; g < groups; g++)
        {
            for (int o = 0; o < n; o++)
            {
                int z = (int)t.Zeros[o * groups + g];
                if (zeros == GptqCheckpointFormat.V1 && z == 0)
                    throw new QuantReasonException($"zero point 0 (row {o}, group {g}) cannot be stored in the v1 'zero − 1' convention; write gptq_v2", prefix);
                zrow[o] = (uint)(zeros == GptqCheckpointFormat.V1 ? z - 1 : z);
            }
            BitPacking.Pack(zrow, b, qzeros.AsSpan(g * Words(n, b), Words(n, b)));
        }
        var scales = new float[groups * n]; // [groups, N]
        for (int g = 0; g < groups; g++)
            for (int o = 0; o < n; o++) scales[g * n + o] = t.Scales[o * groups + g];
        return
        [
            new TensorData(prefix + ".qweight", DType.I32, [Words(k, b), n], MemoryMarshal.AsBytes(qweight.AsSpan()).ToArray()),
            new TensorData(prefix + ".qzeros", DType.I32, [groups, Words(n, b)], MemoryMarshal.AsBytes(qzeros.AsSpan()).ToArray()),
            TensorData.F16(prefix + ".scales", scales, groups, n),
            TensorData.I32(prefix + ".g_idx", t.GIdx, k),
        ];
    }

    static int Words(int count, int bits) => BitPacking.Words(count, bits);

    /// <summary>Reads one layer back into codes, fp16-exact scales, zeros and g_idx, checking every shape and dtype.</summary>
    public static QuantizedTensor Read(SafeTensorsFile file, string prefix, GptqConfig config)
    {
        int b = config.Bits;
        var qwInfo = Expect(file, prefix + ".qweight", DType.I32, 2);
        int n = (int)qwInfo.Shape[1];
        if (qwInfo.Shape[0] * 32 % b != 0) throw new QuantReasonException($"qweight rows {qwInfo.Shape[0]} do not hold whole {b}-bit values", prefix + ".qweight");
        int k = (int)(qwInfo.Shape[0] * 32 / b);
        int gl = config.GroupSize <= 0 ? k : config.GroupSize;
        var format = QuantFormat.Int(b, config.GroupSize <= 0 ? -1 : config.GroupSize, config.Sym, prefix);
        format.Validate(n, k, prefix);
        int groups = (k + gl - 1) / gl;
        var qzInfo = Expect(file, prefix + ".qzeros", DType.I32, 2);
        if (qzInfo.Shape[0] != groups || qzInfo.Shape[1] != Words(n, b))
            throw new QuantReasonException($"qzeros has shape {qzInfo.ShapeString}, expected [{groups}, {Words(n, b)}]", prefix + ".qzeros");
        var scInfo = Expect(file, prefix + ".scales", DType.F16, 2);
        if (scInfo.Shape[0] != groups || scInfo.Shape[1] != n)
            throw new QuantReasonException($"scales has shape {scInfo.ShapeString}, expected [{groups}, {n}]", prefix + ".scales");
        int[] gidx;
        if (file.Contains(prefix + ".g_idx"))
        {
            var gi = file.Info(prefix + ".g_idx");
            if (gi.Shape.Length != 1 || gi.Shape[0] != k)
                throw new QuantReasonException($"g_idx has shape {gi.ShapeString}, expected [{k}]", prefix + ".g_idx");
            gidx = file.ReadI32(prefix + ".g_idx");
        }
        else gidx = QuantizedTensor.SequentialGIdx(k, gl);

        var qweight = MemoryMarshal.Cast<byte, uint>(file.Bytes(prefix + ".qweight"));
        var codes = new byte[(long)n * k];
        var packed = new uint[Words(k, b)];
        var col = new uint[k];
        for (int o = 0; o < n; o++)
        {
            for (int w = 0; w < packed.Length; w++) packed[w] = qweight[w * n + o];
            BitPacking.Unpack(packed, b, col);
            for (int i = 0; i < k; i++) codes[(long)o * k + i] = (byte)col[i];
        }
        var qzeros = MemoryMarshal.Cast<byte, uint>(file.Bytes(prefix + ".qzeros"));
        var scalesRaw = file.ReadF32(prefix + ".scales");
        var scales = new float[n * groups];
        var zeros = new float[n * groups];
        var zrow = new uint[n];
        for (int g = 0; g < groups; g++)
        {
            BitPacking.Unpack(qzeros.Slice(g * Words(n, b), Words(n, b)), b, zrow);
            for (int o = 0; o < n; o++)
            {
                scales[o * groups + g] = scalesRaw[g * n + o];
                // v1: the stored field is zero − 1 (a stored all-ones field reads as 2^b, the tools' own behaviour).
                zeros[o * groups + g] = config.Zeros == GptqCheckpointFormat.V1 ? zrow[o] + 1 : zrow[o];
            }
        }
        return new QuantizedTensor(format, n, k, codes, scales, zeros, gidx).Validated(prefix);
    }

    static TensorInfo Expect(SafeTensorsFile file, string name, DType dtype, int rank)
    {
        if (!file.Contains(name)) throw new QuantReasonException("tensor missing", $"{file.Path}: {name}");
        var t = file.Info(name);
        if (t.DType != dtype) throw new QuantReasonException($"has dtype {t.DType}, expected {dtype}", $"{file.Path}: {name}");
        if (t.Shape.Length != rank) throw new QuantReasonException($"has shape {t.ShapeString}, expected rank {rank}", $"{file.Path}: {name}");
        return t;
    }
}
