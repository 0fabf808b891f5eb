using QuantReason.Runtime;
namespace QuantReason.Weights;

/// <summary>
/// A linear layer's weight in whatever storage format (f32, bf16, f16, packed int, trit planes …). The runtime only ever
/// asks for y = x·Wᵀ, so each format keeps its own fused kernel and never materialises an f32 copy of the matrix.
/// </summary>
public interface ILinearWeight
{
    int InFeatures { get; }
    int OutFeatures { get; }

    /// <summary>Short format name for inspect/bench output, e.g. "bf16", "q4_g128".</summary>
    string Format { get; }

    /// <summary>Bytes of weight data streamed per full pass (for bandwidth figures).</summary>
    long ByteSize { get; }

    /// <summary>y[t, out] = Σ_in x[t, in]·W[out, in] for t &lt; tokens. Multi-threaded internally.</summary>
    void Forward(ReadOnlySpan<float> x /* [tokens, in] */, Span<float> y /* [tokens, out] */, int tokens);

    /// <summary>The weight as f32 [out, in] (for quantizers, training and tests; not used on the hot path).</summary>
    float[] ToF32();
}
