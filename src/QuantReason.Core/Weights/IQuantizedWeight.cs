using QuantReason.Runtime;
using QuantReason.Quantization;

namespace QuantReason.Weights;

/// <summary>A packed weight of one row of the <see cref="QuantFormat"/> table: the runtime's <see cref="ILinearWeight"/>
/// plus the two other paths every packed kernel keeps (portable fallback, f64 reference) so tests can compare them.</summary>
public interface IQuantizedWeight : ILinearWeight
{
    QuantFormat Quant { get; }

    /// <summary>y = x·Wᵀ; <paramref name="allowSimd"/> false forces the portable scalar fallback.</summary>
    void Forward(ReadOnlySpan<float> x /* [tokens, in] */, Span<float> y /* [tokens, out] */, int tokens, bool allowSimd);

    /// <summary>The format's definition evaluated in f64 (slow; for tests).</summary>
    void ForwardReference(ReadOnlySpan<float> x /* [tokens, in] */, Span<float> y /* [tokens, out] */, int tokens);
}
