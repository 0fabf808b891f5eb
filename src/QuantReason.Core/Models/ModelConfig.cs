using System.Text.Json;
using QuantReason.Tensors;

namespace QuantReason.Models;

/// <summary>
/// The typed, validated configuration of a Llama-family decoder, read from a Hugging Face `config.json`.
/// Both config forms found in the wild are accepted: `rope_theta` + `rope_scaling` at top level, and `rope_parameters`.
/// </summary>
public sealed record ModelConfig
{
    public required ArchitectureTraits Architecture { get; init; }
    public required int HiddenSize { get; init; }
    public required int IntermediateSize { get; init; }
    public required int NumLayers { get; init; }
    public required int NumHeads { get; init; }
    public required int NumKvHeads { get; init; }
    public required int HeadDim { get; init; }
    public required int VocabSize { get; init; }
    public required double RmsNormEps { get; init; }
    public required RopeScaling Rope { get; init; }
    public required int MaxPositionEmbeddings { get; init; }
    public required bool TieWordEmbeddings { get; init; }
    public required bool AttentionBias { get; init; }
    public bool MlpBias { get; init; }
    public int? BosTokenId { get; init; }
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];
    public int? PadTokenId { get; init; }
    public DType? TorchDType { get; init; }

    public int QDim => NumHeads * HeadDim;
    public int KvDim => NumKvHeads * HeadDim;

    public long ParameterCount
    {
        get
        {
            long h = HiddenSize, perLayer = h * QDim + 2 * h * KvDim + QDim * h + 3 * h * IntermediateSize + 2 * h;
            if (AttentionBias) perLayer += QDim + 2 * KvDim;
            if (Architecture.QkNorm) perLayer += 2 * HeadDim;
            long total = NumLayers * perLayer + (long)VocabSize * h + h;
            if (!TieWordEmbeddings) total += (long)VocabSize * h;
            return total;
        }
    }

    public static ModelConfig Load(string modelDir)
    {
        var path = Path.Combine(modelDir, "config.json");
        using var doc = Checkpoint.ParseJson(path);
        var cfg = Parse(doc.RootElement, path);
        var gen = Path.Combine(modelDir, "generation_config.json");
        if (File.Exists(gen))
        {
            using var g = Checkpoint.ParseJson(gen);
            var eos = ReadIds(g.RootElement, "eos_token_id");
            if (eos.Count > 0) cfg = cfg with { EosTokenIds = eos };
        }
        return cfg;
    }

    public static ModelConfig Parse(JsonElement root, string where)
    {
        string? cls = root.TryGetProperty("architectures", out var a) && a.ValueKind == JsonValueKind.Array && a.GetArrayLength() > 0
            ? a[0].GetString() : null;
        string? modelType = Str(root, "model_type");
        var arch = (cls is not null ? ArchitectureTraits.FromHfClass(cls) : null)
                   ?? ArchitectureTraits.Table.FirstOrDefault(t => t.ModelType == modelType)
                   ?? throw new QuantReasonException(
                       $"unsupported architecture '{cls ?? modelType ?? "(none)"}'; supported: {string.Join(", ", ArchitectureTraits.Table.Select(t => t.HfClass))}", where);

        int hidden = Int(root, "hidden_size", where);
        int heads = Int(root, "num_attention_heads", where);
        int kvHeads = OptInt(root, "num_key_value_heads") ?? heads;
        int headDim = OptInt(root, "head_dim") ?? (hidden % heads == 0 ? hidden / heads
            : throw new QuantReasonException($"hidden_size {hidden} is not divisible by num_attention_heads {heads} and no head_dim is given", where));
        var cfg = new ModelConfig
        {
            Architecture = arch,
            HiddenSize = hidden,
            IntermediateSize = Int(root, "intermediate_size", where),
            NumLayers = Int(root, "num_hidden_layers", where),
            NumHeads = heads,
            NumKvHeads = kvHeads,
            HeadDim = headDim,
            VocabSize = Int(root, "vocab_size", where),
            RmsNormEps = OptDouble(root, "rms_norm_eps") ?? 1e-6,
            Rope = ParseRope(root, where),
            MaxPositionEmbeddings = OptInt(root, "max_position_embeddings") ?? 2048,
            TieWordEmbeddings = root.TryGetProperty("tie_word_embeddings", out var tie) && tie.ValueKind is JsonValueKind.True or JsonValueKind.False
                ? tie.GetBoolean() : arch.DefaultTied,
            AttentionBias = arch.QkvBias || (root.TryGetProperty("attention_bias", out var ab) && ab.ValueKind == JsonValueKind.True),
            MlpBias = root.TryGetProperty("mlp_bias", out var mb) && mb.ValueKind == JsonValueKind.True,
            BosTokenId = OptInt(root, "bos_token_id"),
            EosTokenIds = ReadIds(root, "eos_token_id"),
            PadTokenId = OptInt(root, "pad_token_id"),
            TorchDType = (Str(root, "dtype") ?? Str(root, "torch_dtype")) switch
            {
                "float32" => DType.F32, "bfloat16" => DType.BF16, "float16" => DType.F16, _ => null,
            },
        };
        cfg.Validate(where);
        return cfg;
    }

    static RopeScaling ParseRope(JsonElement root, string where)
    {
        // Newer form: everything under rope_parameters. Older: rope_theta at top level, optional rope_scaling object.
        JsonElement? p = root.TryGetProperty("rope_parameters", out var rp) && rp.ValueKind == JsonValueKind.Object ? rp : null;
        JsonElement? s = root.TryGetProperty("rope_scaling", out var rs) && rs.ValueKind == JsonValueKind.Object ? rs : null;
        double theta = (p is { } pp ? OptDouble(pp, "rope_theta") : null) ?? OptDouble(root, "rope_theta") ?? 10000.0;
        JsonElement? scale = p ?? s;
        string type = scale is { } sc ? (Str(sc, "rope_type") ?? Str(sc, "type") ?? "default") : "default";
        return type switch
        {
            "default" => new RopeScaling(RopeType.Default, theta),
            "llama3" => new RopeScaling(RopeType.Llama3, theta,
                Factor: Req(scale!.Value, "factor", where),
                LowFreqFactor: Req(scale.Value, "low_freq_factor", where),
                HighFreqFactor: Req(scale.Value, "high_freq_factor", where),
                OriginalMaxPositionEmbeddings: (int)Req(scale.Value, "original_max_position_embeddings", where)),
            _ => throw new QuantReasonException($"unsupported rope type '{type}'; supported: default, llama3", where),
        };
    }

    void Validate(string where)
    {
        void Check(bool ok, string msg) { if (!ok) throw new QuantReasonException(msg, where); }
        Check(HiddenSize > 0 && IntermediateSize > 0 && NumLayers > 0 && VocabSize > 0, "sizes must be positive");
        Check(NumHeads > 0 && NumKvHeads > 0 && NumHeads % NumKvHeads == 0,
            $"num_attention_heads {NumHeads} must be a positive multiple of num_key_value_heads {NumKvHeads}");
        Check(HeadDim > 0 && HeadDim % 2 == 0, $"head_dim {HeadDim} must be even (rotary pairs)");
        Check(RmsNormEps > 0, "rms_norm_eps must be positive");
        Check(Rope.Theta > 0, "rope_theta must be positive");
    }

    static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    static int? OptInt(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;

    static double? OptDouble(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    static int Int(JsonElement e, string name, string where) =>
        OptInt(e, name) ?? throw new QuantReasonException($"missing or non-integer '{name}'", where);

    static double Req(JsonElement e, string name, string where) =>
        OptDouble(e, name) ?? throw new QuantReasonException($"rope scaling needs '{name}'", where);

    static List<int> ReadIds(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out var v)) return [];
        return v.ValueKind switch
        {
            JsonValueKind.Number => [v.GetInt32()],
            JsonValueKind.Array => v.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.Number).Select(x => x.GetInt32()).ToList(),
            _ => [],
        };
    }
}
