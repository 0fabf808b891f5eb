namespace QuantReason.Tensors;

/// <summary>Where one tensor lives in a safetensors file: offsets are relative to the start of the data buffer.</summary>
public sealed record TensorInfo(string Name, DType DType, long[] Shape, long Begin, long End)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
    public long ByteLength => End - Begin;
    public string ShapeString => "[" + string.Join(", ", Shape) + "]";
}
