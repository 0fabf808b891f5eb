using QuantReason.Kernels;
using QuantReason.Models;

namespace QuantReason.Training.Ops;

/// <summary>cos / sin of the rotary angles per position, [positions, head_dim/2], angles computed in f32 as transformers does.</summary>
public sealed class RopeTable
{
    readonly float[] _inv;
    public int Positions { get; private set; }
    public int Half { get; }
    public float[] Cos { get; private set; } = []; // [positions, half]
    public float[] Sin { get; private set; } = []; // [positions, half]

    public RopeTable(RopeScaling rope, int headDim, int positions)
    {
        Half = headDim / 2;
        _inv = rope.InverseFrequencies(headDim);
        Ensure(positions);
    }

    /// <summary>Grows the table to at least <paramref name="positions"/> (models allow far more positions than training uses).</summary>
    public void Ensure(int positions)
    {
        if (positions <= Positions) return;
        var inv = _inv;
        var cos = new float[positions * Half];
        var sin = new float[positions * Half];
        for (int p = 0; p < positions; p++)
            for (int i = 0; i < Half; i++)
            {
                float angle = p * inv[i];
                cos[p * Half + i] = MathF.Cos(angle);
                sin[p * Half + i] = MathF.Sin(angle);
            }
        Cos = cos;
        Sin = sin;
        Positions = positions;
    }
}

/// <summary>
/// Rotary position embedding in the Hugging Face "rotate_half" convention: pairs (i, i + head_dim/2) rotate by
/// position·inv_freq[i]. The backward is the rotation by the opposite angle (the transpose of an orthogonal map).
/// </summary>
public static class Rope
{
    /// <summary>Rotates x in place. x is [tokens, heads, head_dim] with tokens laid out [batch, seqLen].</summary>
    public static void Forward(float[] x, int tokens, int seqLen, int heads, int headDim, RopeTable table) =>
        Rotate(x, tokens, seqLen, heads, headDim, table, 1f);

    /// <summary>Maps dL/d(rotated) to dL/d(input), in place.</summary>
    public static void Backward(float[] dx, int tokens, int seqLen, int heads, int headDim, RopeTable table) =>
        Rotate(dx, tokens, seqLen, heads, headDim, table, -1f);

    static void Rotate(float[] x, int tokens, int seqLen, int heads, int headDim, RopeTable table, float sign)
    {
        if (seqLen > table.Positions)
            throw new QuantReasonException($"sequence length {seqLen} exceeds the {table.Positions} rotary positions", "rope");
        int half = headDim / 2;
        KernelThreads.For(tokens, 1, (s, e) =>
        {
            for (int t = s; t < e; t++)
            {
                int pos = t % seqLen;
                var cos = table.Cos.AsSpan(pos * half, half);
                var sin = table.Sin.AsSpan(pos * half, half);
                for (int h = 0; h < heads; h++)
                {
                    var v = x.AsSpan((t * heads + h) * headDim, headDim);
                    for (int i = 0; i < half; i++)
                    {
                        float a = v[i], b = v[i + half], c = cos[i], sn = sign * sin[i];
                        v[i] = a * c - b * sn;
                        v[i + half] = b * c + a * sn;
                    }
                }
            }
        }, heads * headDim);
    }
}
