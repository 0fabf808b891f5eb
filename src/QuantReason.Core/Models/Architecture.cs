namespace QuantReason.Models;

public enum ArchitectureKind { Llama, Qwen2, Qwen3 }

/// <summary>
/// What distinguishes one Llama-family architecture from another, as data: the runtime, the trainer and the quantizers
/// read these flags instead of sniffing tensor names.
/// </summary>
public sealed record ArchitectureTraits(
    ArchitectureKind Kind,
    string HfClass,          // config.json "architectures"[0]
    string ModelType,        // config.json "model_type"
    bool QkvBias,            // q/k/v projections carry biases (Qwen2)
    bool QkNorm,             // per-head RMSNorm of q and k before RoPE (Qwen3)
    bool DefaultTied,        // tie_word_embeddings when config.json omits it
    LayerWiring Wiring)      // the layer's projections and the groups sharing an input
{
    public static readonly IReadOnlyList<ArchitectureTraits> Table =
    [
        new(ArchitectureKind.Llama, "LlamaForCausalLM", "llama", QkvBias: false, QkNorm: false, DefaultTied: false, LayerWiring.LlamaFamily),
        new(ArchitectureKind.Qwen2, "Qwen2ForCausalLM", "qwen2", QkvBias: true, QkNorm: false, DefaultTied: false, LayerWiring.LlamaFamily),
        new(ArchitectureKind.Qwen3, "Qwen3ForCausalLM", "qwen3", QkvBias: false, QkNorm: true, DefaultTied: true, LayerWiring.LlamaFamily),
    ];

    public static ArchitectureTraits Of(ArchitectureKind kind) => Table.First(t => t.Kind == kind);

    public static ArchitectureTraits? FromHfClass(string hfClass) => Table.FirstOrDefault(t => t.HfClass == hfClass);
}

/// <summary>Tensor names of the Hugging Face layout that every supported architecture shares.</summary>
public static class WeightNames
{
    public const string Embed = "model.embed_tokens.weight";
    public const string FinalNorm = "model.norm.weight";
    public const string LmHead = "lm_head.weight";

    public static string Layer(int i, string suffix) => $"model.layers.{i}.{suffix}";

    /// <summary>A projection's name relative to a decoder layer, the Hugging Face module path every supported architecture uses.</summary>
    public static string Of(Projection p) => p switch
    {
        Projection.Q => "self_attn.q_proj",
        Projection.K => "self_attn.k_proj",
        Projection.V => "self_attn.v_proj",
        Projection.O => "self_attn.o_proj",
        Projection.Gate => "mlp.gate_proj",
        Projection.Up => "mlp.up_proj",
        Projection.Down => "mlp.down_proj",
        _ => throw new ArgumentOutOfRangeException(nameof(p), p, null),
    };

    /// <summary>The last part of a projection's module path, as LoRA target lists name modules.</summary>
    public static string Module(Projection p) => Of(p)[(Of(p).LastIndexOf('.') + 1)..];

    /// <summary>Every projection's name, in the order they run.</summary>
    public static readonly string[] Linears = Enum.GetValues<Projection>().Select(Of).ToArray();
}
