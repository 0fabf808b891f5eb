namespace QuantReason.Tensors;

/// <summary>
/// A GGUF metadata array. <see cref="Values"/> is a typed CLR array matching <see cref="ElementType"/>
/// (byte[], sbyte[], ushort[], short[], uint[], int[], float[], bool[], string[], ulong[], long[], double[]),
/// or <see cref="GgufArray"/>[] for nested arrays.
/// </summary>
public sealed record GgufArray(GgufValueType ElementType, Array Values)
{
    public int Count => Values.Length;
}
