using QuantReason.Kernels;

namespace QuantReason.Quantization;

/// <summary>
/// GPTQ's layer Hessian H = 2/n·Σ xᵀx, accumulated batch by batch as the reference's <c>add_batch</c> does
/// (H ← H·n/(n+m), n ← n+m, H += 2/n·XᵀX), so calibration activations stream through and are never held together.
/// XᵀX is <see cref="GemmF32F32.SymmetricRankK"/> on the upper triangle, mirrored once at <see cref="ToMatrix"/>.
/// </summary>
public sealed class Hessian
{
    readonly float[] _h; // [columns, columns], upper triangle valid
    public int Columns { get; }
    /// <summary>Samples counted so far (the n of 2/n·XᵀX).</summary>
    public long Samples { get; private set; }
    /// <summary>Activation rows (tokens) seen so far.</summary>
    public long Tokens { get; private set; }

    public Hessian(int columns)
    {
        if (columns <= 0) throw new QuantReasonException($"Hessian of {columns} columns", "hessian");
        Columns = columns;
        _h = new float[(long)columns * columns];
    }

    /// <summary>Adds a batch of activations x [rows, columns]. <paramref name="samples"/> is what the batch counts
    /// towards n: the rows by default (H = 2/tokens·XᵀX); the reference counts sequences. GPTQ's result does not
    /// depend on this scale.</summary>
    public void Add(ReadOnlySpan<float> x /* [rows, columns] */, int rows, int samples = -1, string layer = "hessian")
    {
        if (samples < 0) samples = rows;
        if (x.Length < (long)rows * Columns)
            throw new QuantReasonException($"activation batch has {x.Length} values, expected {rows}×{Columns}", layer);
        if (rows == 0) return;
        if (Samples > 0)
        {
            float keep = (float)((double)Samples / (Samples + samples));
            System.Numerics.Tensors.TensorPrimitives.Multiply(_h, keep, _h);
        }
        Samples += samples;
        Tokens += rows;
        float alpha = (float)(2.0 / Samples);
        GemmF32F32.SymmetricRankK(Columns, rows, x, Columns, _h, Columns, alpha, accumulate: true);
    }

    /// <summary>The full symmetric H [columns, columns].</summary>
    public float[] ToMatrix()
    {
        var h = (float[])_h.Clone();
        int n = Columns;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++) h[(long)i * n + j] = h[(long)j * n + i];
        return h;
    }
}
