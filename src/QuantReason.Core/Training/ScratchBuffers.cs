namespace QuantReason.Training;

/// <summary>
/// Backward temporaries shared by all layers of one model: the backward visits layers one at a time, so one buffer per
/// role suffices and steps allocate nothing. Buffers are not cleared; every user overwrites before reading.
/// </summary>
public sealed class ScratchBuffers
{
    readonly Dictionary<string, float[]> _buffers = new(StringComparer.Ordinal);

    /// <summary>A buffer of at least <paramref name="length"/> floats for <paramref name="role"/>.</summary>
    public float[] Get(string role, long length)
    {
        if (!_buffers.TryGetValue(role, out var b) || b.Length < length)
            _buffers[role] = b = new float[checked((int)length)];
        return b;
    }
}
