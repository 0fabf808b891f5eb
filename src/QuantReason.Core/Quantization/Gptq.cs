using System.Runtime.Intrinsics;
using QuantReason.Kernels;
using QuantReason.Quantization.LinAlg;

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
/// GPTQ (Frantar et al. 2022) in the reference implementation's order of operations: per-channel parameters on the
/// original W; dead columns (H_ii = 0) get H_ii = 1, W_:,i = 0; static groups fixed on that W; act-order permutes by
/// descending diag(H); H += percDamp·mean(diag H)·I; Hinv = upper Cholesky factor of H⁻¹; then columns in blocks of
/// blockSize: each column is rounded, its error err = (w − q)/Hinv_ii spread over the rest of the block
/// (W_:,i: −= err·Hinv_i,i:), and the block's errors applied lazily to all later columns (W_:,i₂: −= Err·Hinv_i₁:i₂,i₂:).
/// Group parameters are found when a group starts, on the columns as they stood at the start of the current block, as
/// the reference does. Rows are independent inside a block, so they run in parallel; the lazy update is a GEMM.
/// </summary>
public static class Gptq
{
    public static GptqResult Quantize(float[] weight /* [out, in] */, int outFeatures, int inFeatures, Hessian hessian, GptqOptions opt,
        string layer = "weight", IProgressSink? progress = null)
    {
        if (hessian.Columns != inFeatures)
            throw new QuantReasonException($"Hessian has {hessian.Columns} columns, weight has in_features {inFeatures}", layer);
        if (hessian.Tokens < opt.MinTokens)
            throw new QuantReasonException($"too few calibration tokens: {hessian.Tokens} < {opt.MinTokens}", layer);
        return Quantize(weight, outFeatures, inFeatures, hessian.ToMatrix(), opt, layer, progress);
    }

    /// <summary>GPTQ given H [in, in] (2/n·XᵀX, undamped; not modified).</summary>
    public static unsafe GptqResult Quantize(float[] weight, int outFeatures, int inFeatures, float[] h, GptqOptions opt,
        string layer = "weight", IProgressSink? progress = null)
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

        int rows = outFeatures, cols = inFeatures, maxq = format.MaxQ;
        int gl = format.GroupLength(cols), groups = cols / gl;
        var W = (float[])weight.Clone(); // [rows, cols], permuted in place under act-order
        var H = (float[])h.Clone();      // [cols, cols]
        var scales = new float[rows * groups];
        var zeros = new float[rows * groups];

        if (format.PerChannel)
            for (int o = 0; o < rows; o++) SetParams(o, 0, Rtn.FindParams(W.AsSpan(o * cols, cols), opt.Bits, opt.Sym, opt.Mse));

        for (int j = 0; j < cols; j++)
            if (H[(long)j * cols + j] == 0)
            {
                H[(long)j * cols + j] = 1;
                for (int o = 0; o < rows; o++) W[o * cols + j] = 0;
            }

        if (opt.StaticGroups && !format.PerChannel)
            for (int o = 0; o < rows; o++)
                for (int g = 0; g < groups; g++)
                    SetParams(o, g, Rtn.FindParams(W.AsSpan(o * cols + g * gl, gl), opt.Bits, opt.Sym, opt.Mse));

        int[] perm = Enumerable.Range(0, cols).ToArray();
        if (opt.ActOrder)
        {
            var diag = new float[cols];
            for (int j = 0; j < cols; j++) diag[j] = H[(long)j * cols + j];
            perm = perm.OrderByDescending(j => diag[j]).ToArray(); // stable: ties keep input order
            W = PermuteColumns(W, rows, cols, perm);
            var hp = new float[H.Length];
            for (int i = 0; i < cols; i++)
                for (int j = 0; j < cols; j++) hp[(long)i * cols + j] = H[(long)perm[i] * cols + perm[j]];
            H = hp;
        }

        double diagSum = 0;
        for (int j = 0; j < cols; j++) diagSum += H[(long)j * cols + j];
        float damp = opt.PercDamp * (float)(diagSum / cols);
        for (int j = 0; j < cols; j++) H[(long)j * cols + j] += damp;
        var Hinv = Cholesky.UpperCholeskyOfInverse(H, cols, layer); // [cols, cols] upper
        H = null!;

        var codes = new byte[(long)rows * cols]; // [rows, cols] in processing (permuted) order
        var rowLoss = new double[rows];
        int bs = opt.BlockSize;
        var err = new float[(long)rows * bs]; // [rows, blockSize]: Err1
        progress?.Start(layer, cols);
        for (int i1 = 0; i1 < cols; i1 += bs)
        {
            int i2 = Math.Min(i1 + bs, cols), count = i2 - i1;
            KernelThreads.For(rows, 1, (r0, r1) =>
            {
                var pre = new float[count]; // the block as it stood before this block's own updates
                for (int o = r0; o < r1; o++)
                {
                    var w = W.AsSpan(o * cols + i1, count);
                    w.CopyTo(pre);
                    var p = format.PerChannel ? GetParams(o, 0) : default;
                    double loss = 0;
                    for (int i = 0; i < count; i++)
                    {
                        int col = i1 + i;
                        if (!format.PerChannel)
                        {
                            if (opt.StaticGroups) p = GetParams(o, perm[col] / gl);
                            else if (col % gl == 0)
                            {
                                p = Rtn.FindParams(pre.AsSpan(i, gl), opt.Bits, opt.Sym, opt.Mse);
                                SetParams(o, col / gl, p);
                            }
                        }
                        float wi = w[i], d = Hinv[(long)col * cols + col];
                        int q = p.Code(wi, maxq);
                        float qv = p.Dequantize(q);
                        codes[(long)o * cols + col] = (byte)q;
                        float e = (wi - qv) / d;
                        loss += (double)(wi - qv) * (wi - qv) / ((double)d * d) / 2;
                        err[(long)o * bs + i] = e;
                        SubtractScaled(w.Slice(i), e, Hinv.AsSpan((int)((long)col * cols + col), count - i));
                    }
                    rowLoss[o] += loss;
                }
            }, (long)count * count);
            if (i2 < cols)
                GemmF32F32.Multiply(false, false, rows, cols - i2, count, err, bs, Hinv.AsSpan(i1 * cols + i2), cols, W.AsSpan(i2), cols,
                    accumulate: true, alpha: -1f);
            progress?.Advance(count);
        }
        progress?.Finish();

        // Codes back to input order; g_idx records each input channel's group.
        var gidx = new int[cols];
        var outCodes = new byte[codes.Length];
        for (int pcol = 0; pcol < cols; pcol++)
        {
            int k = perm[pcol];
            gidx[k] = format.PerChannel ? 0 : opt.StaticGroups ? k / gl : pcol / gl;
            for (int o = 0; o < rows; o++) outCodes[(long)o * cols + k] = codes[(long)o * cols + pcol];
        }
        var qt = new QuantizedTensor(format, rows, cols, outCodes, scales, zeros, gidx);
        return new GptqResult(qt, rowLoss.Sum());

        void SetParams(int o, int g, QuantParams p) { scales[o * groups + g] = p.Scale; zeros[o * groups + g] = p.Zero; }
        QuantParams GetParams(int o, int g) => new(scales[o * groups + g], zeros[o * groups + g]);
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

    static float[] PermuteColumns(float[] w, int rows, int cols, int[] perm)
    {
        var r = new float[w.Length];
        for (int o = 0; o < rows; o++)
            for (int j = 0; j < cols; j++) r[(long)o * cols + j] = w[(long)o * cols + perm[j]];
        return r;
    }
}
