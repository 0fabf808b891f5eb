namespace QuantReason.Tensors;

/// <summary>
/// One tensor of a GGUF file. <see cref="Dimensions"/> are in ggml order (innermost first: ne[0] is the row length),
/// <see cref="Offset"/> is relative to the data section, <see cref="ByteLength"/> follows from the type's block geometry.
/// </summary>
public sealed record GgufTensorInfo(string Name, ulong[] Dimensions, GgufTensorType Type, ulong Offset, long ByteLength)
{
    public ulong ElementCount
    {
        get
        {
            ulong n = 1;
            foreach (var d in Dimensions) n *= d;
            return n;
        }
    }

    /// <summary>Dimensions in row-major (PyTorch / safetensors) order: outermost first.</summary>
    public long[] Shape => Dimensions.Reverse().Select(d => (long)d).ToArray();
}
