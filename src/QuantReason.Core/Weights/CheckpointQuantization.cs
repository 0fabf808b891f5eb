using System.Text.Json;
using System.Text.Json.Nodes;
using QuantReason.Models;
using QuantReason.Runtime;
using QuantReason.Tensors;
using QuantReason.Quantization;
using QuantReason.Quantization.Model;

namespace QuantReason.Weights;

/// <summary>The storage layouts a quantized checkpoint can use (config.json <c>quantization_config.quant_method</c>).</summary>
public enum CheckpointQuantMethod { Gptq, Awq, W8A8, Ptqtp }

/// <summary>
/// How a checkpoint directory's linears are stored, read once from its configuration: GPTQ (config.json
/// <c>quantization_config</c> or <c>quantize_config.json</c>, AutoGPTQ / GPTQModel / transformers keys), AWQ gemm
/// (transformers keys <c>bits</c>/<c>group_size</c>/<c>zero_point</c>/<c>version</c> or AutoAWQ's
/// <c>quant_config.json</c> with <c>w_bit</c>/<c>q_group_size</c>), and the W8A8 and trit-plane layouts of
/// <see cref="PackedQuantConfig"/>. Each linear loads by the tensors present, so layers a tool left unquantized
/// (e.g. <c>modules_to_not_convert</c>) load dense.
/// </summary>
public sealed record CheckpointQuantization(CheckpointQuantMethod Method, GptqConfig? Gptq = null, AwqConfig? Awq = null, PackedQuantConfig? Packed = null)
{
    public static readonly string[] SupportedMethods = ["gptq", "awq", "w8a8", "ptqtp"];

    /// <summary>The algorithm that produced the weights: the toolkit's own <c>meta.method</c> when it wrote the checkpoint
    /// (RTN is stored in GPTQ's layout), else the layout's method (W8A8 is SmoothQuant's layout).</summary>
    public string Algorithm { get; init; } = Method switch
    {
        CheckpointQuantMethod.Gptq => "gptq",
        CheckpointQuantMethod.Awq => "awq",
        CheckpointQuantMethod.W8A8 => "smoothquant",
        _ => "ptqtp",
    };

    /// <summary>The activation scheme the checkpoint runs with (quantization_config.input_activations, e.g. a QAT W4A4
    /// export); null for f32 activations.</summary>
    public ActivationScheme? Activations { get; init; }

    /// <summary>The KV-cache scheme it runs with (quantization_config.kv_cache_scheme); null for an f32 cache.</summary>
    public ActivationScheme? KvCache { get; init; }

    /// <summary>Weight bits per code.</summary>
    public int Bits => Gptq?.Bits ?? Awq?.Bits ?? Packed!.Bits;

    /// <summary>Input columns per scale, −1 per output channel.</summary>
    public int GroupSize => Gptq?.GroupSize ?? Awq?.GroupSize ?? Packed!.GroupSize;

    /// <summary>Symmetric grid (no zero point): GPTQ's <c>sym</c>, AWQ without <c>zero_point</c>; W8A8 and trit-planes have none.</summary>
    public bool Sym => Gptq?.Sym ?? (Awq is { } a ? !a.ZeroPoint : true);

    /// <summary>Columns quantized in decreasing Hessian-diagonal order (GPTQ's <c>desc_act</c>).</summary>
    public bool ActOrder => Gptq?.DescAct ?? false;

    /// <summary>The directory's quantization, or null for a dense checkpoint. This is the one parser of a checkpoint's
    /// quantization settings: the loaded model keeps what it returns, and run manifests record it from there.</summary>
    public static CheckpointQuantization? Load(string dir)
    {
        var layout = LoadLayout(dir, out var config);
        if (layout is null) return null;
        var where = Path.Combine(dir, "config.json") + ": quantization_config.";
        layout = layout with
        {
            Activations = ActivationScheme.FromJson(config?[ActivationScheme.ActivationsKey], where + ActivationScheme.ActivationsKey),
            KvCache = ActivationScheme.FromJson(config?[ActivationScheme.KvCacheKey], where + ActivationScheme.KvCacheKey),
        };
        return config?["meta"]?["method"] is JsonValue m && m.TryGetValue<string>(out var algorithm)
            ? layout with { Algorithm = algorithm }
            : layout;
    }

    static CheckpointQuantization? LoadLayout(string dir, out JsonObject? config)
    {
        config = null;
        var cfgPath = Path.Combine(dir, "config.json");
        JsonObject? q = null;
        if (File.Exists(cfgPath))
        {
            using var doc = Checkpoint.ParseJson(cfgPath);
            if (doc.RootElement.TryGetProperty("quantization_config", out var e) && e.ValueKind == JsonValueKind.Object)
                q = JsonNode.Parse(e.GetRawText())!.AsObject();
        }
        config = q;
        var where = cfgPath + ": quantization_config";
        if (q is null)
        {
            if (File.Exists(Path.Combine(dir, "quantize_config.json"))) return new(CheckpointQuantMethod.Gptq, Gptq: GptqConfig.Load(dir));
            var qc = Path.Combine(dir, "quant_config.json");
            if (!File.Exists(qc)) return null;
            q = JsonNode.Parse(File.ReadAllText(qc))?.AsObject() ?? throw new QuantReasonException("empty quantization config", qc);
            config = q;
            where = qc;
            if (q["w_bit"] is null) return new(CheckpointQuantMethod.Gptq, Gptq: GptqConfig.Load(dir));
            q["quant_method"] ??= "awq";
        }
        string method = q["quant_method"]?.GetValue<string>()?.ToLowerInvariant()
            ?? throw new QuantReasonException("quantization config has no quant_method", where);
        try
        {
            return method switch
            {
                "gptq" => new(CheckpointQuantMethod.Gptq, Gptq: GptqConfig.Load(dir)),
                "awq" => new(CheckpointQuantMethod.Awq, Awq: ParseAwq(q, where)),
                "w8a8" or "ptqtp" => new(method == "w8a8" ? CheckpointQuantMethod.W8A8 : CheckpointQuantMethod.Ptqtp,
                    Packed: q.Deserialize<PackedQuantConfig>() ?? throw new QuantReasonException("empty quantization config", where)),
                _ => throw new QuantReasonException($"quantization method '{method}' is not supported; supported: {string.Join(", ", SupportedMethods)}", where),
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new QuantReasonException($"malformed quantization config: {e.Message}", where, e);
        }
    }

    /// <summary>AutoAWQ writes w_bit/q_group_size; transformers writes bits/group_size. Only the gemm layout is read.</summary>
    static AwqConfig ParseAwq(JsonObject q, string where)
    {
        int bits = (q["w_bit"] ?? q["bits"])?.GetValue<int>() ?? 4;
        int group = (q["q_group_size"] ?? q["group_size"])?.GetValue<int>() ?? 128;
        bool zeroPoint = q["zero_point"]?.GetValue<bool>() ?? true;
        string version = q["version"]?.GetValue<string>()?.ToLowerInvariant() ?? "gemm";
        if (version != "gemm") throw new QuantReasonException($"AWQ version '{version}' is not supported (only the gemm layout)", where);
        return new AwqConfig(bits, group, zeroPoint, version);
    }

    /// <summary>One line for inspect: method, bits, group size and layout details.</summary>
    public string Describe() => DescribeWeights() + (Activations is null ? "" : $"; activations {Activations}")
        + (KvCache is null ? "" : $"; kv cache {KvCache.Name("kv")}");

    string DescribeWeights() => Method switch
    {
        CheckpointQuantMethod.Gptq => $"gptq {Gptq!.Bits}-bit, group {Gptq.GroupSize}, {(Gptq.Sym ? "sym" : "asym")}{(Gptq.DescAct ? ", desc_act" : "")}, zeros {Gptq.CheckpointFormat}",
        CheckpointQuantMethod.Awq => $"awq {Awq!.Bits}-bit, group {Awq.GroupSize}, {(Awq.ZeroPoint ? "zero point" : "sym")}, {Awq.Version}",
        CheckpointQuantMethod.W8A8 => "w8a8: int8 per-channel weights, int8 per-token dynamic activations",
        _ => $"ptqtp: two trit-planes, group {Packed!.GroupSize}",
    };

    /// <summary>
    /// Loads linear <paramref name="prefix"/> (<see cref="WeightNames.Layer(int, string)"/> of a projection) as the runtime's weight:
    /// packed GPTQ/AWQ codes, W8A8 or trit-planes when its tensors are there, else the dense <c>.weight</c>. The shape is
    /// checked against [<paramref name="outFeatures"/>, <paramref name="inFeatures"/>]; every error names the layer.
    /// </summary>
    public static ILinearWeight LoadLinear(Checkpoint ck, string prefix, int outFeatures, int inFeatures, CheckpointQuantization? quant)
    {
        if (quant is null || !ck.Contains(prefix + ".qweight") && !ck.Contains(prefix + ".trit_plane1") && !ck.Contains(prefix + ".weight_scale"))
            return DenseLinear.Load(ck, prefix + ".weight", outFeatures, inFeatures);
        ILinearWeight w;
        if (ck.Contains(prefix + ".qweight"))
        {
            var file = ck.FileOf(prefix + ".qweight");
            var t = quant.Method switch
            {
                CheckpointQuantMethod.Gptq => GptqCheckpoint.Read(file, prefix, quant.Gptq!),
                CheckpointQuantMethod.Awq => AwqCheckpoint.Read(file, prefix, quant.Awq!),
                _ => throw new QuantReasonException($"has a qweight tensor but the checkpoint's quant_method is {quant.Method}", prefix),
            };
            w = QuantizedLinear.Pack(t, prefix);
        }
        else if (ck.Contains(prefix + ".trit_plane1"))
        {
            if (quant.Method != CheckpointQuantMethod.Ptqtp)
                throw new QuantReasonException($"has trit-plane tensors but the checkpoint's quant_method is {quant.Method}", prefix);
            w = PackedCheckpoint.ReadTritPlanes(ck.FileOf(prefix + ".trit_plane1"), prefix, quant.Packed!);
        }
        else
        {
            if (quant.Method != CheckpointQuantMethod.W8A8)
                throw new QuantReasonException($"has a weight_scale tensor but the checkpoint's quant_method is {quant.Method}", prefix);
            w = PackedCheckpoint.ReadW8A8(ck.FileOf(prefix + ".weight"), prefix);
        }
        if (w.OutFeatures != outFeatures || w.InFeatures != inFeatures)
            throw new QuantReasonException($"quantized weight is [{w.OutFeatures}, {w.InFeatures}], the configuration needs [{outFeatures}, {inFeatures}]", prefix);
        return w;
    }
}
