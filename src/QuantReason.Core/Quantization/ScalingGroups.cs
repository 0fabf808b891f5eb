using QuantReason.Models;

namespace QuantReason.Quantization;

/// <summary>The op before a group of linears that read one input: an RMSNorm (its weight absorbs 1/s) or a linear
/// (its output rows and bias absorb 1/s).</summary>
public enum PrevOpKind { RmsNorm, Linear }

/// <summary>Linears that share one input, and the op whose output that input is (names relative to a decoder layer).
/// <paramref name="RequiresMatchingShape"/>: only when the previous linear's outputs are exactly these linears'
/// inputs (v_proj → o_proj holds for multi-head attention, not for grouped-query attention).</summary>
public sealed record ScalingGroup(string PrevOp, PrevOpKind PrevKind, string[] Linears, bool RequiresMatchingShape = false, bool SmoothQuant = false);

/// <summary>
/// Per architecture, where activation-aware scales (AWQ) and smoothing scales (SmoothQuant) can be folded: X ← X/s is
/// absorbed by the previous op, W ← W·diag(s) by the linears, leaving the layer's function unchanged in exact arithmetic.
/// SmoothQuant smooths only the groups behind an RMSNorm, as its reference implementation does.
/// </summary>
public static class ScalingGroups
{
    static readonly ScalingGroup[] LlamaFamily =
    [
        new("input_layernorm", PrevOpKind.RmsNorm, ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"], SmoothQuant: true),
        new("self_attn.v_proj", PrevOpKind.Linear, ["self_attn.o_proj"], RequiresMatchingShape: true),
        new("post_attention_layernorm", PrevOpKind.RmsNorm, ["mlp.gate_proj", "mlp.up_proj"], SmoothQuant: true),
        new("mlp.up_proj", PrevOpKind.Linear, ["mlp.down_proj"]),
    ];

    /// <summary>The groups of an architecture (Llama, Qwen2 and Qwen3 share the same decoder wiring; Qwen3's q/k norms
    /// act after the projections and do not interfere).</summary>
    public static IReadOnlyList<ScalingGroup> For(ArchitectureKind kind) => kind switch
    {
        ArchitectureKind.Llama or ArchitectureKind.Qwen2 or ArchitectureKind.Qwen3 => LlamaFamily,
        _ => throw new QuantReasonException($"no scaling groups for architecture {kind}", "awq"),
    };

    /// <summary>RMSNorm weight g ← g/s.</summary>
    public static void FoldIntoNorm(Span<float> normWeight, ReadOnlySpan<float> s)
    {
        if (normWeight.Length != s.Length) throw new QuantReasonException($"norm has {normWeight.Length} channels, scales {s.Length}", "fold");
        for (int k = 0; k < s.Length; k++) normWeight[k] /= s[k];
    }

    /// <summary>Previous linear W [out, in] (and bias): output row j ← row j / s_j.</summary>
    public static void FoldIntoLinear(Span<float> weight, int outFeatures, int inFeatures, Span<float> bias, ReadOnlySpan<float> s)
    {
        if (outFeatures != s.Length) throw new QuantReasonException($"previous linear has {outFeatures} outputs, scales {s.Length}", "fold");
        for (int o = 0; o < outFeatures; o++)
        {
            for (int k = 0; k < inFeatures; k++) weight[o * inFeatures + k] /= s[o];
            if (!bias.IsEmpty) bias[o] /= s[o];
        }
    }

    /// <summary>Linear W [out, in] ← W·diag(s).</summary>
    public static void ScaleInputs(Span<float> weight, int outFeatures, int inFeatures, ReadOnlySpan<float> s)
    {
        for (int o = 0; o < outFeatures; o++)
            for (int k = 0; k < inFeatures; k++) weight[o * inFeatures + k] *= s[k];
    }
}
