using QuantReason.Models;

namespace QuantReason.Quantization;

/// <summary>
/// Where activation-aware scales (AWQ) and smoothing scales (SmoothQuant) can be folded: per input group of the
/// architecture's <see cref="LayerWiring"/>, X ← X/s is absorbed by the op producing the input (an RMSNorm's weight, or
/// the previous projection's output rows and bias), W ← W·diag(s) by the group's projections, leaving the layer's
/// function unchanged in exact arithmetic. SmoothQuant smooths only the groups behind an RMSNorm, as its reference
/// implementation does.
/// </summary>
public static class ScalingGroups
{
    /// <summary>The groups of an architecture: every input group of its wiring.</summary>
    public static IReadOnlyList<InputGroup> For(ArchitectureKind kind) => ArchitectureTraits.Of(kind).Wiring.Groups;

    /// <summary>The groups SmoothQuant smooths: those behind an RMSNorm.</summary>
    public static IEnumerable<InputGroup> Smoothed(ArchitectureKind kind) => For(kind).Where(g => g.Norm is not null);

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
