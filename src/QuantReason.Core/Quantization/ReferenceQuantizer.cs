using QuantReason.Weights;
namespace QuantReason.Quantization;

/// <summary>The reference (data-free) quantizer of each row of the format table: RTN min-max for integer formats,
/// per-channel int8 for W8A8, the PTQTP fit for trit-planes.</summary>
public static class ReferenceQuantizer
{
    public static IQuantizedWeight Quantize(QuantFormat format, ReadOnlySpan<float> w /* [out, in] */, int outFeatures, int inFeatures, string layer = "weight") =>
        format.Kind switch
        {
            QuantKind.IntN => QuantizedLinear.Pack(Rtn.Quantize(w, outFeatures, inFeatures, format, layer), layer),
            QuantKind.W8A8 => W8A8Linear.Quantize(w, outFeatures, inFeatures, layer),
            QuantKind.TritPlanes => Ptqtp.Quantize(w, outFeatures, inFeatures, format, layer: layer),
            _ => throw new QuantReasonException($"no quantizer for {format.Kind}", layer),
        };
}
