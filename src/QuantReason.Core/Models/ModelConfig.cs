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
            var eos = ReadIds(g.RootElement, "eos_token_id", gen);
            if (eos.Count > 0) cfg = cfg with { EosTokenIds = eos };
        }
        return cfg;
    }

    public static ModelConfig Parse(JsonElement root, string where)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new QuantReasonException($"expected a JSON object, found {root.ValueKind}", where);
        string? cls = root.TryGetProperty("architectures", out var a) && a.ValueKind == JsonValueKind.Array && a.GetArrayLength() > 0
            && a[0].ValueKind == JsonValueKind.String ? a[0].GetString() : null;
        string? modelType = Str(root, "model_type");
        var arch = (cls is not null ? ArchitectureTraits.FromHfClass(cls) : null)
                   ?? ArchitectureTraits.Table.FirstOrDefault(t => t.ModelType == modelType)
                   ?? throw new QuantReasonException(
                       $"unsupported architecture '{QuantReasonException.Quote(cls ?? modelType ?? "(none)")}'; supported: {string.Join(", ", ArchitectureTraits.Table.Select(t => t.HfClass))}", where);

        int hidden = Int(root, "hidden_size", where);
        int heads = Int(root, "num_attention_heads", where);
        int kvHeads = OptInt(root, "num_key_value_heads", where) ?? heads;
        int headDim = OptInt(root, "head_dim", where) ?? (hidden % heads == 0 ? hidden / heads
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
            RmsNormEps = OptDouble(root, "rms_norm_eps", where) ?? 1e-6,
            Rope = ParseRope(root, where),
            MaxPositionEmbeddings = OptInt(root, "max_position_embeddings", where) ?? 2048,
            TieWordEmbeddings = root.TryGetProperty("tie_word_embeddings", out var tie) && tie.ValueKind is JsonValueKind.True or JsonValueKind.False
                ? tie.GetBoolean() : arch.DefaultTied,
            AttentionBias = arch.QkvBias || (root.TryGetProperty("attention_bias", out var ab) && ab.ValueKind == JsonValueKind.True),
            MlpBias = root.TryGetProperty("mlp_bias", out var mb) && mb.ValueKind == JsonValueKind.True,
            BosTokenId = OptInt(root, "bos_token_id", where),
            EosTokenIds = ReadIds(root, "eos_token_id", where),
            PadTokenId = OptInt(root, "pad_token_id", where),
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
        double theta = (p is { } pp ? OptDouble(pp, "rope_theta", where) : null) ?? OptDouble(root, "rope_theta", where) ?? 10000.0;
        JsonElement? scale = p ?? s;
        string type = scale is { } sc ? (Str(sc, "rope_type") ?? Str(sc, "type") ?? "default") : "default";
        return type switch
        {
            "default" => new RopeScaling(RopeType.Default, theta),
            "llama3" => new RopeScaling(RopeType.Llama3, theta,
                Factor: Req(scale!.Value, "factor", where),
                LowFreqFactor: Req(scale.Value, "low_freq_factor", where),
                HighFreqFactor: Req(scale.Value, "high_freq_factor", where),
                OriginalMaxPositionEmbeddings: OptInt(scale.Value, "original_max_position_embeddings", where)
                    ?? throw new QuantReasonException("rope scaling needs 'original_max_position_embeddings'", where)),
            _ => throw new QuantReasonException($"unsupported rope type '{QuantReasonException.Quote(type)}'; supported: default, llama3", where),
        };
    }

    void Validate(string where)
    {
        void Check(bool ok, string msg) { if (!ok) throw new QuantReasonException(msg, where); }
        Check(HiddenSize > 0 && IntermediateSize > 0 && NumLayers > 0 && VocabSize > 0, "sizes must be positive");
        Check(MaxPositionEmbeddings > 0, $"max_position_embeddings {MaxPositionEmbeddings} must be positive");
        Check(NumHeads > 0 && NumKvHeads > 0 && NumHeads % NumKvHeads == 0,
            $"num_attention_heads {NumHeads} must be a positive multiple of num_key_value_heads {NumKvHeads}");
        Check(HeadDim > 0 && HeadDim % 2 == 0, $"head_dim {HeadDim} must be even (rotary pairs)");
        // Buffers are sized by these products in 32-bit indices.
        Check((long)NumHeads * HeadDim <= int.MaxValue, $"num_attention_heads {NumHeads} × head_dim {HeadDim} overflows a 32-bit size");
        Check(RmsNormEps > 0, "rms_norm_eps must be positive");
        Check(Rope.Theta > 0, "rope_theta must be positive");
    }

    static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>A number that must be a 32-bit integer: a fraction or an out-of-range value is named, never wrapped.</summary>
    static int? OptInt(JsonElement e, string name, string where)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Number) return null;
        return v.TryGetInt32(out var i) ? i
            : throw new QuantReasonException($"'{name}' is {QuantReasonException.Quote(v.GetRawText(), 40)}, not a 32-bit integer", where);
    }

    static double? OptDouble(JsonElement e, string name, string where)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Number) return null;
        return v.TryGetDouble(out var d) && double.IsFinite(d) ? d
            : throw new QuantReasonException($"'{name}' is {QuantReasonException.Quote(v.GetRawText(), 40)}, not a finite number", where);
    }

    static int Int(JsonElement e, string name, string where) =>
        OptInt(e, name, where) ?? throw new QuantReasonException($"missing or non-integer '{name}'", where);

    static double Req(JsonElement e, string name, string where) =>
        OptDouble(e, name, where) ?? throw new QuantReasonException($"rope scaling needs '{name}'", where);

    static List<int> ReadIds(JsonElement e, string name, string where)
    {
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(name, out var v)) return [];
        int Id(JsonElement x) => x.TryGetInt32(out var i) ? i
            : throw new QuantReasonException($"'{name}' holds {QuantReasonException.Quote(x.GetRawText(), 40)}, not a 32-bit token id", where);
        return v.ValueKind switch
        {
            JsonValueKind.Number => [Id(v)],
            JsonValueKind.Array => v.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.Number).Select(Id).ToList(),
            _ => [],
        };
    }
}
