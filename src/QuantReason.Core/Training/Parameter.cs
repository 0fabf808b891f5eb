namespace QuantReason.Training;

/// <summary>A named tensor the trainer owns: f32 master values, and a gradient buffer while it is trainable.</summary>
public sealed class Parameter
{
    public string Name { get; }
    public long[] Shape { get; }
    public float[] Value { get; }
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

    public void ZeroGrad() => Grad?.AsSpan().Clear();

    public override string ToString() => $"{Name} [{string.Join(", ", Shape)}]{(Trainable ? "" : " frozen")}";
}
