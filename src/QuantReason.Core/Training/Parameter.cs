namespace QuantReason.Training;

/// <summary>A named tensor the trainer owns: f32 master values, and a gradient buffer while it is trainable.</summary>
public sealed class Parameter
{
    public string Name { get; }
    public long[] Shape { get; private init; }
    public float[] Value { get; private set; }
    public float[]? Grad { get; private set; }

    public bool Trainable
    {
        get => Grad is not null;
        set => Grad = value ? Grad ?? new float[Value.Length] : null;
    }

    public Parameter(string name, float[] value, params long[] shape)
    {
        if (shape.Aggregate(1L, (a, b) => a * b) != value.Length)
            throw new QuantReasonException($"{value.Length} values do not fill shape [{string.Join(", ", shape)}]", name);
        Name = name;
        Shape = shape;
        Value = value;
        Grad = new float[value.Length];
    }

    /// <summary>A frozen parameter whose values live elsewhere from the start (a quantized checkpoint's packed linear).</summary>
    internal static Parameter Unloaded(string name, params long[] shape)
    {
        var p = new Parameter(name, [], [0]) { Shape = shape };
        p.Trainable = false;
        return p;
    }

    /// <summary>Frees the values of a frozen parameter whose layer keeps its own compact copy (QLoRA's int4 base).</summary>
    internal void Release()
    {
        Trainable = false;
        Value = [];
    }

    public bool Released => Value.Length == 0 && Shape.Aggregate(1L, (a, b) => a * b) > 0;

    /// <summary>Gives a released parameter its values back (merging adapters into the dequantized base).</summary>
    internal void Restore(float[] value)
    {
        if (value.LongLength != Shape.Aggregate(1L, (a, b) => a * b))
            throw new QuantReasonException($"{value.Length} values do not fill shape [{string.Join(", ", Shape)}]", Name);
        Value = value;
    }

    public void ZeroGrad() => Grad?.AsSpan().Clear();

    public override string ToString() => $"{Name} [{string.Join(", ", Shape)}]{(Trainable ? "" : " frozen")}";
}
