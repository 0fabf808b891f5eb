using System.Runtime.Intrinsics;
using QuantReason.Kernels;
using QuantReason.Quantization.LinAlg;
using QuantReason.Weights;

namespace QuantReason.Quantization;

/// <summary>GPTQ settings (reference defaults: blockSize 128, percDamp 0.01).</summary>
public sealed record GptqOptions(
    int Bits = 4,
    int GroupSize = 128,
    bool Sym = false,
    bool ActOrder = false,
    bool StaticGroups = false,
    int BlockSize = 128,
    float PercDamp = 0.01f,
    int MinTokens = 16,
    MseClip? Mse = null)
{
    public QuantFormat Format(string layer) => QuantFormat.Int(Bits, GroupSize, Sym, layer);
}

/// <summary>GPTQ's output: the quantized layer and Σ (w − q)²/(2·Hinv_ii²), the reference's loss.</summary>
public sealed record GptqResult(QuantizedTensor Quantized, double Loss);

/// <summary>
/// GPTQ (Frantar et al. 2022) in the reference implementation's order of operations. <see cref="Prepare"/>: per-channel
/// parameters on the original W; dead columns (H_jj = 0) get H_jj = 1, W[:, j] = 0; static groups fixed on that W;
/// act-order permutes by descending diag(H); H += percDamp·mean(diag H)·I; Hinv = upper Cholesky factor of H⁻¹.
/// <see cref="Sweep"/> is the paper's Algorithm 1 (blocks of B columns, errors spread inside a block at once and to the
/// later columns lazily); <see cref="Unpermute"/> returns the codes to input order with each channel's group.
/// Group parameters are found when a group starts, on the columns as they stood at the start of the current block, as
/// the reference does. Rows are independent inside a block, so they run in parallel; the lazy update is a GEMM.
/// </summary>
public static class Gptq
{
    /// <summary>GPTQ with H from <paramref name="hessian"/>; with <paramref name="lastUse"/> H is formed in the
    /// Hessian's own storage (<see cref="Hessian.TakeMatrix"/>), for the last linear that reads it.</summary>
    public static GptqResult Quantize(float[] weight /* [out, in] */, int outFeatures, int inFeatures, Hessian hessian, GptqOptions opt,
        string layer = "weight", IProgressSink? progress = null, bool lastUse = false)
    {
        if (hessian.Columns != inFeatures)
            throw new QuantReasonException($"Hessian has {hessian.Columns} columns, weight has in_features {inFeatures}", layer);
        if (hessian.Tokens < opt.MinTokens)
            throw new QuantReasonException($"too few calibration tokens: {hessian.Tokens} < {opt.MinTokens}", layer);
        return Quantize(weight, outFeatures, inFeatures, lastUse ? hessian.TakeMatrix() : hessian.ToMatrix(), opt, layer, progress, consumeH: true);
    }

    /// <summary>GPTQ given H [in, in] (2/n·XᵀX, undamped; not modified).</summary>
    public static GptqResult Quantize(float[] weight, int outFeatures, int inFeatures, float[] h, GptqOptions opt,
        string layer = "weight", IProgressSink? progress = null) =>
        Quantize(weight, outFeatures, inFeatures, h, opt, layer, progress, consumeH: false);

    // consumeH: h is a fresh copy the caller drops (a Hessian's ToMatrix), used in place instead of cloned: a
    // down_proj's H is 256 MB.
    static GptqResult Quantize(float[] weight, int outFeatures, int inFeatures, float[] h, GptqOptions opt,
        string layer, IProgressSink? progress, bool consumeH)
    {
        var format = opt.Format(layer);
        format.Validate(outFeatures, inFeatures, layer);
        if (weight.Length != (long)outFeatures * inFeatures)
            throw new QuantReasonException($"weight has {weight.Length} values, expected {outFeatures}×{inFeatures}", layer);
        if (h.Length != (long)inFeatures * inFeatures)
            throw new QuantReasonException($"Hessian has {h.Length} values, expected {inFeatures}²", layer);
        if (opt.BlockSize <= 0 || (!format.PerChannel && opt.BlockSize % format.GroupSize != 0))
            throw new QuantReasonException($"block size {opt.BlockSize} must be a positive multiple of the group size {format.GroupSize}", layer);
        if (opt.PercDamp < 0) throw new QuantReasonException($"negative damping {opt.PercDamp}", layer);

        var W = new Matrix<float>((float[])weight.Clone(), outFeatures, inFeatures); // [rows, cols], permuted under act-order
        var H = new Matrix<float>(consumeH ? h : (float[])h.Clone(), inFeatures, inFeatures); // [cols, cols]
        var grid = new Grid(format, opt, outFeatures, inFeatures);
        var (Hinv, perm) = Prepare(ref W, H, grid, opt, layer);
        progress?.Start(layer, inFeatures);
        var (Q, loss) = Sweep(W, Hinv, grid, perm, opt.BlockSize, progress);
        progress?.Finish();
        return new GptqResult(Unpermute(Q, perm, grid), loss);
    }

    /// <summary>Everything before Algorithm 1: grid parameters that come from the unquantized W, dead columns, the
    /// act-order permutation of W and H, damping and Hinv = Cholesky((H + λI)⁻¹)ᵀ (upper). H is consumed.</summary>
    static (Matrix<float> Hinv, int[] Perm) Prepare(ref Matrix<float> W, Matrix<float> H, Grid grid, GptqOptions opt, string layer)
    {
        if (grid.PerChannel)
            for (int r = 0; r < W.Rows; r++) grid[r, 0] = grid.Find(W.Row(r));
        ZeroDeadColumns(H, W);
        if (opt.StaticGroups && !grid.PerChannel)
            for (int r = 0; r < W.Rows; r++)
                for (int g = 0; g < grid.Groups; g++) grid[r, g] = grid.Find(W.Row(r, g * grid.GroupLength, grid.GroupLength));
        int[] perm = Enumerable.Range(0, W.Cols).ToArray();
        if (opt.ActOrder)
        {
            perm = ActOrder(H);
            W = PermuteColumns(W, perm);
            H = PermuteSymmetric(H, perm);
        }
        Damp(H, opt.PercDamp);
        return (new Matrix<float>(Cholesky.UpperCholeskyOfInverse(H.Data, H.Rows, layer, consume: true), H.Rows, H.Cols), perm);
    }

    /// <summary>An input that never fired (H_jj = 0) carries no information: H_jj ← 1 keeps H invertible, W[:, j] ← 0.</summary>
    static void ZeroDeadColumns(Matrix<float> H, Matrix<float> W)
    {
        for (int j = 0; j < H.Cols; j++)
            if (H[j, j] == 0)
            {
                H[j, j] = 1;
                for (int r = 0; r < W.Rows; r++) W[r, j] = 0;
            }
    }

    /// <summary>Act-order: columns by descending H_jj, the most activated first (stable: ties keep input order).</summary>
    static int[] ActOrder(Matrix<float> H)
    {
        var diag = new float[H.Cols];
        for (int j = 0; j < H.Cols; j++) diag[j] = H[j, j];
        return Enumerable.Range(0, H.Cols).OrderByDescending(j => diag[j]).ToArray();
    }

    /// <summary>W[:, perm].</summary>
    static Matrix<float> PermuteColumns(Matrix<float> W, int[] perm)
    {
        var P = new Matrix<float>(W.Rows, W.Cols);
        for (int r = 0; r < W.Rows; r++)
            for (int j = 0; j < W.Cols; j++) P[r, j] = W[r, perm[j]];
        return P;
    }

    /// <summary>H[perm, perm].</summary>
    static Matrix<float> PermuteSymmetric(Matrix<float> H, int[] perm)
    {
        var P = new Matrix<float>(H.Rows, H.Cols);
        for (int i = 0; i < H.Rows; i++)
            for (int j = 0; j < H.Cols; j++) P[i, j] = H[perm[i], perm[j]];
        return P;
    }

    /// <summary>H += λI with λ = percDamp·mean(diag H).</summary>
    static void Damp(Matrix<float> H, float percDamp)
    {
        double diagSum = 0;
        for (int j = 0; j < H.Cols; j++) diagSum += H[j, j];
        float lambda = percDamp * (float)(diagSum / H.Cols);
        for (int j = 0; j < H.Cols; j++) H[j, j] += lambda;
    }

    /// <summary>
    /// Algorithm 1 of the paper, over columns in processing order:
    /// <code>
    /// for i = 0, B, 2B, …:
    ///     for j = i, …, i+B−1:                                  (QuantizeBlockRow, row by row)
    ///         Q[:, j]     ← quant(W[:, j])
    ///         E[:, j−i]   ← (W[:, j] − Q[:, j]) / Hinv[j, j]
    ///         W[:, j:i+B] ← W[:, j:i+B] − E[:, j−i] · Hinv[j, j:i+B]
    ///     W[:, i+B:] ← W[:, i+B:] − E · Hinv[i:i+B, i+B:]      (the lazy batch update)
    /// </code>
    /// Returns the codes [rows, cols] (processing order) and the reference's loss Σ (w − q)²/(2·Hinv_jj²).
    /// </summary>
    static (Matrix<byte> Q, double Loss) Sweep(Matrix<float> W, Matrix<float> Hinv, Grid grid, int[] perm, int B, IProgressSink? progress)
    {
        int rows = W.Rows, cols = W.Cols;
        var Q = new Matrix<byte>(rows, cols);
        var E = new Matrix<float>(rows, B); // the block's errors, each scaled by 1/Hinv[j, j]
        var rowLoss = new double[rows];
        for (int i = 0; i < cols; i += B)
        {
            int b = Math.Min(B, cols - i), i0 = i;
            KernelThreads.For(rows, 1, (r0, r1) =>
            {
                var start = new float[b]; // W[r, i:i+b] as the block found it
                for (int r = r0; r < r1; r++) rowLoss[r] += QuantizeBlockRow(W, Hinv, Q, E, grid, perm, r, i0, b, start);
            }, (long)b * b);
            if (i + b < cols)
                GemmF32F32.Multiply(false, false, rows, cols - (i + b), b, E.Data, B, Hinv.From(i, i + b), cols, W.From(0, i + b), cols,
                    accumulate: true, alpha: -1f);
            progress?.Advance(b);
        }
        return (Q, rowLoss.Sum());
    }

    /// <summary>The inner loop of Algorithm 1 on row r of block [i, i+b) (rows do not interact inside a block); its loss.</summary>
    static double QuantizeBlockRow(Matrix<float> W, Matrix<float> Hinv, Matrix<byte> Q, Matrix<float> E, Grid grid, int[] perm,
        int r, int i, int b, float[] start)
    {
        W.Row(r, i, b).CopyTo(start);
        var p = grid.PerChannel ? grid[r, 0] : default;
        double loss = 0;
        for (int j = i; j < i + b; j++)
        {
            if (grid.Static) p = grid[r, perm[j] / grid.GroupLength];
            else if (!grid.PerChannel && j % grid.GroupLength == 0)
                p = grid[r, j / grid.GroupLength] = grid.Find(start.AsSpan(j - i, grid.GroupLength));
            float w = W[r, j], d = Hinv[j, j];
            int q = p.Code(w, grid.MaxQ);
            float wq = p.Dequantize(q);
            Q[r, j] = (byte)q;
            E[r, j - i] = (w - wq) / d;
            loss += (double)(w - wq) * (w - wq) / ((double)d * d) / 2;
            SubtractScaled(W.Row(r, j, i + b - j), E[r, j - i], Hinv.Row(j, j, i + b - j));
        }
        return loss;
    }

    /// <summary>Codes back to input order; g_idx records each input channel's group (its processing-order group under
    /// act-order, unless the groups were fixed statically on the input order).</summary>
    static QuantizedTensor Unpermute(Matrix<byte> Q, int[] perm, Grid grid)
    {
        var codes = new Matrix<byte>(Q.Rows, Q.Cols);
        var gidx = new int[Q.Cols];
        for (int j = 0; j < Q.Cols; j++)
        {
            int k = perm[j];
            gidx[k] = grid.PerChannel ? 0 : grid.Static ? k / grid.GroupLength : j / grid.GroupLength;
            for (int r = 0; r < Q.Rows; r++) codes[r, k] = Q[r, j];
        }
        return new QuantizedTensor(grid.Format, Q.Rows, Q.Cols, codes.Data, grid.Scales.Data, grid.Zeros.Data, gidx);
    }

    /// <summary>Per row and group, the grid (scale, zero) columns are rounded onto.</summary>
    sealed class Grid(QuantFormat format, GptqOptions opt, int rows, int cols)
    {
        public QuantFormat Format => format;
        public bool PerChannel => format.PerChannel;
        public bool Static => opt.StaticGroups && !format.PerChannel;
        public int MaxQ => format.MaxQ;
        public int GroupLength { get; } = format.GroupLength(cols);
        public int Groups => Scales.Cols;
        public Matrix<float> Scales { get; } = new(rows, format.Groups(cols)); // [rows, groups]
        public Matrix<float> Zeros { get; } = new(rows, format.Groups(cols));  // [rows, groups]

        public QuantParams this[int r, int g]
        {
            get => new(Scales[r, g], Zeros[r, g]);
            set { Scales[r, g] = value.Scale; Zeros[r, g] = value.Zero; }
        }

        public QuantParams Find(ReadOnlySpan<float> w) => Rtn.FindParams(w, opt.Bits, opt.Sym, opt.Mse);
    }

    /// <summary>w −= e·h as a separate multiply and subtract (torch's outer product then in-place subtraction).</summary>
    static void SubtractScaled(Span<float> w, float e, ReadOnlySpan<float> h)
    {
        int k = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var ev = Vector256.Create(e);
            for (; k + 8 <= w.Length; k += 8)
            {
                var wv = Vector256.Create<float>(w.Slice(k, 8));
                (wv - ev * Vector256.Create<float>(h.Slice(k, 8))).CopyTo(w.Slice(k, 8));
            }
        }
        for (; k < w.Length; k++) w[k] -= e * h[k];
    }
}
