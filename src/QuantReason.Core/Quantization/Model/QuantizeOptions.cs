using System.Text.Json.Serialization;
using QuantReason.Weights;

namespace QuantReason.Quantization.Model;

/// <summary>The model-level quantization methods of <c>quantreason quantize</c>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<QuantMethod>))]
public enum QuantMethod { Rtn, Gptq, Awq, SmoothQuant, Ptqtp }

/// <summary>
/// Settings of one model quantization, validated against every linear of the model before any work starts (errors name
/// the layer). Bits and group size default per method: 4-bit g128 for rtn/gptq/awq, 8-bit per channel for smoothquant
/// (W8A8), two trit-planes with g128 for ptqtp.
/// </summary>
public sealed record QuantizeOptions
{
    [JsonPropertyName("method")] public required QuantMethod Method { get; init; }
    [JsonPropertyName("bits")] public required int Bits { get; init; }
    /// <summary>Input channels per group; −1 is one group per output channel.</summary>
    [JsonPropertyName("group_size")] public required int GroupSize { get; init; }
    [JsonPropertyName("sym")] public bool Sym { get; init; }
    /// <summary>GPTQ act-order: columns processed by descending Hessian diagonal, groups recorded in g_idx.</summary>
    [JsonPropertyName("desc_act")] public bool DescAct { get; init; }
    [JsonPropertyName("damp_percent")] public double DampPercent { get; init; } = 0.01;
    [JsonPropertyName("smoothquant_alpha")] public double SmoothQuantAlpha { get; init; } = 0.5;
    /// <summary>AWQ searches scales and clipping on at most this many calibration tokens (evenly strided): its grid search
    /// runs every linear 20 times, which on CPUs is the method's cost.</summary>
    [JsonPropertyName("awq_max_tokens")] public int AwqMaxTokens { get; init; } = 4096;
    [JsonPropertyName("calibration")] public CalibrationOptions? Calibration { get; init; }
    /// <summary>Calibration tokens per forward batch (whole samples): bounds the activation buffers of one pass.</summary>
    [JsonIgnore] public int BatchTokens { get; init; } = 2048;
    /// <summary>GPTQ's stage passes resume from the activations the previous stage's pass kept instead of running each
    /// layer from its start (same files, byte for byte; off only to test that).</summary>
    [JsonIgnore] public bool ReuseStageInputs { get; init; } = true;

    /// <summary>Fewest calibration tokens any calibrated method accepts (GPTQ's, AWQ's and SmoothQuant's own minimum).</summary>
    public const int MinCalibrationTokens = 16;

    [JsonIgnore] public bool NeedsCalibration => Method is QuantMethod.Gptq or QuantMethod.Awq or QuantMethod.SmoothQuant;

    public static QuantizeOptions Create(QuantMethod method, int? bits = null, int? groupSize = null, bool sym = false, bool descAct = false,
        CalibrationOptions? calibration = null) => new()
    {
        Method = method,
        Bits = bits ?? method switch { QuantMethod.SmoothQuant => 8, QuantMethod.Ptqtp => 2, _ => 4 },
        GroupSize = groupSize ?? (method == QuantMethod.SmoothQuant ? -1 : 128),
        Sym = sym,
        DescAct = descAct,
        Calibration = method is QuantMethod.Gptq or QuantMethod.Awq or QuantMethod.SmoothQuant ? calibration ?? new CalibrationOptions() : null,
    };

    public static QuantMethod ParseMethod(string name) => name.ToLowerInvariant() switch
    {
        "rtn" => QuantMethod.Rtn, "gptq" => QuantMethod.Gptq, "awq" => QuantMethod.Awq,
        "smoothquant" or "w8a8" => QuantMethod.SmoothQuant, "ptqtp" => QuantMethod.Ptqtp,
        _ => throw new QuantReasonException($"unknown method '{name}'; known: rtn, gptq, awq, smoothquant, ptqtp", "quantize"),
    };

    /// <summary>The weight format of every quantized linear, or an error naming <paramref name="layer"/>.</summary>
    public QuantFormat Format(string layer) => Method switch
    {
        QuantMethod.SmoothQuant => Bits == 8 && GroupSize == -1 ? QuantFormat.Parse("w8a8")
            : throw new QuantReasonException($"smoothquant stores W8A8: 8 bits per output channel (group size -1), not {Bits} bits with group size {GroupSize}", layer),
        QuantMethod.Ptqtp => Bits == 2
            ? QuantFormat.All.FirstOrDefault(f => f.Kind == QuantKind.TritPlanes && f.GroupSize == GroupSize)
              ?? throw new QuantReasonException($"unsupported trit-plane group size {GroupSize} (one of {string.Join("/", QuantFormat.SupportedGroupSizes)})", layer)
            : throw new QuantReasonException($"ptqtp stores two trit-planes (bits 2), not {Bits} bits", layer),
        _ => QuantFormat.Int(Bits, GroupSize, Sym, layer),
    };

    /// <summary>Checks one linear [out, in] against the method, the format and the storage layout.</summary>
    public void CheckLinear(string layer, int outFeatures, int inFeatures)
    {
        if (DescAct && Method != QuantMethod.Gptq)
            throw new QuantReasonException($"desc_act (act-order) applies to gptq only, not {Method.ToString().ToLowerInvariant()}", layer);
        if (Method == QuantMethod.Awq && Bits != 4)
            throw new QuantReasonException($"awq writes the AutoAWQ gemm layout, which holds 4-bit weights only, not {Bits}-bit", layer);
        if (DampPercent < 0) throw new QuantReasonException($"negative damping {DampPercent}", layer);
        if (SmoothQuantAlpha is < 0 or > 1) throw new QuantReasonException($"migration strength α = {SmoothQuantAlpha} outside [0, 1]", layer);
        var format = Format(layer);
        format.Validate(outFeatures, inFeatures, layer);
        switch (Method)
        {
            case QuantMethod.Rtn or QuantMethod.Gptq when inFeatures * Bits % 32 != 0 || outFeatures * Bits % 32 != 0:
                throw new QuantReasonException(
                    $"the GPTQ layout packs {Bits}-bit values into 32-bit words along both dimensions: in_features {inFeatures} and out_features {outFeatures} must be multiples of {32 / Gcd(32, Bits)}", layer);
            case QuantMethod.Awq when outFeatures % 8 != 0:
                throw new QuantReasonException($"the AWQ layout packs 8 output channels per word: out_features {outFeatures} is not a multiple of 8", layer);
            case QuantMethod.Ptqtp when inFeatures % 4 != 0:
                throw new QuantReasonException($"trit-planes pack 4 weights per byte: in_features {inFeatures} is not a multiple of 4", layer);
        }
    }

    static int Gcd(int a, int b) => b == 0 ? a : Gcd(b, a % b);
}
