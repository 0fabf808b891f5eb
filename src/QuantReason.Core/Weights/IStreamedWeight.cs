using QuantReason.Runtime;
namespace QuantReason.Weights;

/// <summary>
/// A weight that names the memory its kernel streams per pass, so a benchmark can time a plain read of exactly those
/// bytes in the same run: the physical limit of a memory-bound kernel. Why not a separate probe buffer: on the project's
/// VM a plain read runs at ≈36 or ≈60 GB/s depending on where a buffer lands, so another buffer's speed says little
/// about the weights' own.
/// </summary>
public interface IStreamedWeight
{
    /// <summary>(address, bytes) of each pinned buffer a full pass reads; the bytes sum to <see cref="ILinearWeight.ByteSize"/>.</summary>
    IReadOnlyList<(nint Address, long Bytes)> StreamedMemory { get; }
}
