namespace QuantReason.Quantization.LinAlg;

/// <summary>
/// A row-major [Rows, Cols] view over an array, so algorithms read in their paper's notation: <c>H[i, j]</c>,
/// <c>W.Row(r, j, n)</c> for W[r, j:j+n], <c>W.From(i, j)</c> for a GEMM operand starting at (i, j) with stride Cols.
/// A struct over the array (not a span) so parallel loop bodies can capture it.
/// </summary>
public readonly struct Matrix<T> where T : unmanaged
{
    public readonly T[] Data;
    public readonly int Rows, Cols;

    public Matrix(T[] data, int rows, int cols)
    {
        if (data.Length != (long)rows * cols)
            throw new ArgumentException($"matrix [{rows}, {cols}] over {data.Length} values");
        Data = data; Rows = rows; Cols = cols;
    }

    public Matrix(int rows, int cols) : this(new T[(long)rows * cols], rows, cols) { }

    public ref T this[int i, int j] => ref Data[(long)i * Cols + j];

    /// <summary>Row i, or its columns [j, j + n).</summary>
    public Span<T> Row(int i) => Data.AsSpan(i * Cols, Cols);
    public Span<T> Row(int i, int j, int n) => Data.AsSpan(i * Cols + j, n);

    /// <summary>Everything from (i, j) on: the storage of the sub-matrix starting there, with row stride Cols.</summary>
    public Span<T> From(int i, int j) => Data.AsSpan(i * Cols + j);

    public Matrix<T> Clone() => new((T[])Data.Clone(), Rows, Cols);
}
