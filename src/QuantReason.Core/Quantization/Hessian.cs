using QuantReason.Kernels;

namespace QuantReason.Quantization;

/// <summary>
/// GPTQ's layer Hessian H = 2/n·Σ xᵀx, accumulated batch by batch so calibration activations stream through and are
/// never held together. The reference's <c>add_batch</c> rescales H on every batch (H ← H·n/(n+m), H += 2/(n+m)·XᵀX);
/// here the plain sum S = Σ XᵀX grows and H = 2/n·S is formed once at <see cref="ToMatrix"/>: the same H up to f32
/// rounding, without a pass over all of H per batch (a 1B model's down_proj Hessian is 256 MB, read and written
/// 32 times per layer). XᵀX is <see cref="GemmF32F32.SymmetricRankK"/> on the upper triangle, mirrored at ToMatrix.
/// </summary>
public sealed class Hessian
{
    readonly float[] _sum; // [columns, columns] Σ XᵀX, upper triangle valid
    public int Columns { get; }
    /// <summary>Samples counted so far (the n of 2/n·XᵀX).</summary>
    public long Samples { get; private set; }
    /// <summary>Activation rows (tokens) seen so far.</summary>
    public long Tokens { get; private set; }

    public Hessian(int columns)
    {
        if (columns <= 0) throw new QuantReasonException($"Hessian of {columns} columns", "hessian");
        Columns = columns;
        _sum = new float[(long)columns * columns];
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
        if (_taken) throw new InvalidOperationException("the Hessian's matrix was already taken");
        Samples += samples;
        Tokens += rows;
        GemmF32F32.SymmetricRankK(Columns, rows, x, Columns, _sum, Columns, accumulate: true);
    }

    /// <summary>The full symmetric H = 2/n·S [columns, columns].</summary>
    public float[] ToMatrix() => Fill(new float[(long)Columns * Columns]);

    /// <summary>H formed in the sum's own storage, which the Hessian gives up: for the last linear of a stage, one
    /// [columns, columns] buffer less (256 MB for a 1B model's down_proj). The Hessian is unusable afterwards.</summary>
    public float[] TakeMatrix()
    {
        if (_taken) throw new InvalidOperationException("the Hessian's matrix was already taken");
        _taken = true;
        int n = Columns;
        // The lower triangle is stale; mirror the upper one in place, then scale.
        const int T = 64; // in tiles, so the mirrored column reads stay in cache
        for (int i0 = 0; i0 < n; i0 += T)
            for (int j0 = 0; j0 <= i0; j0 += T)
                for (int i = i0; i < Math.Min(n, i0 + T); i++)
                    for (int j = j0; j < Math.Min(i, j0 + T); j++) _sum[(long)i * n + j] = _sum[(long)j * n + i];
        System.Numerics.Tensors.TensorPrimitives.Multiply(_sum, Samples > 0 ? (float)(2.0 / Samples) : 0f, _sum);
        return _sum;
    }

    bool _taken;

    float[] Fill(float[] h)
    {
        if (_taken) throw new InvalidOperationException("the Hessian's matrix was already taken");
        int n = Columns;
        float scale = Samples > 0 ? (float)(2.0 / Samples) : 0f;
        // In tiles, so that the mirrored reads of S's columns stay in cache.
        const int T = 64;
        KernelThreads.For((n + T - 1) / T, 1, (b0, b1) =>
        {
            for (int bi = b0; bi < b1; bi++)
            {
                int i0 = bi * T, i1 = Math.Min(n, i0 + T);
                for (int j0 = 0; j0 < n; j0 += T)
                {
                    int j1 = Math.Min(n, j0 + T);
                    for (int i = i0; i < i1; i++)
                        for (int j = j0; j < j1; j++)
                            h[(long)i * n + j] = scale * (j >= i ? _sum[(long)i * n + j] : _sum[(long)j * n + i]);
                }
            }
        }, workPerItem: (long)T * n);
        return h;
    }
}
