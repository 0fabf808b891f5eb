namespace QuantReason.Training;

/// <summary>Symmetric round-to-nearest weight quantization: Bits-bit signed codes, one scale per GroupSize inputs of a row;
/// the scale maps ClipRatio·max|w| of the group to the largest code, rounded up to the next fp16 value so that a GPTQ
/// checkpoint (fp16 scales) stores the trained grid exactly and nothing inside the range is clipped.</summary>
public sealed record FakeQuantOptions(int Bits, int GroupSize, float ClipRatio = 1f)
{
    public int MaxCode => (1 << (Bits - 1)) - 1;
    public int MinCode => -(1 << (Bits - 1));

    public void Validate()
    {
        if (Bits is < 2 or > 8) throw new QuantReasonException($"fake quantization needs 2–8 bits, got {Bits}", "fake_quant");
        if (GroupSize <= 0) throw new QuantReasonException($"group size must be positive, got {GroupSize}", "fake_quant");
        if (!(ClipRatio > 0 && ClipRatio <= 1)) throw new QuantReasonException($"clip ratio must be in (0, 1], got {ClipRatio}", "fake_quant");
    }
}

/// <summary>Integer codes [rows, cols] and scales [rows, ceil(cols/group)] of a group-quantized matrix.</summary>
public sealed record QuantizedMatrix(sbyte[] Codes, float[] Scales, int Rows, int Cols, int GroupSize)
{
    public int Groups => (Cols + GroupSize - 1) / GroupSize;
}

/// <summary>
/// Fake quantization for quantization-aware training: the forward uses exactly dequantize(quantize(W)), the master
/// weights stay f32, and the backward is the straight-through estimator — the gradient passes unchanged where round(W/scale)
/// lies inside the code range [MinCode, MaxCode] and is zero where the clamp cut it (possible when ClipRatio &lt; 1).
/// </summary>
public static class FakeQuantizer
{
    public static QuantizedMatrix Quantize(float[] w, int rows, int cols, FakeQuantOptions o)
    {
        int groups = (cols + o.GroupSize - 1) / o.GroupSize;
        var codes = new sbyte[rows * cols];
        var scales = new float[rows * groups];
        for (int r = 0; r < rows; r++)
            for (int g = 0; g < groups; g++)
            {
                int c0 = g * o.GroupSize, c1 = Math.Min(cols, c0 + o.GroupSize);
                float scale = Scale(w.AsSpan(r * cols + c0, c1 - c0), o);
                scales[r * groups + g] = scale;
                for (int c = c0; c < c1; c++)
                    codes[r * cols + c] = (sbyte)Math.Clamp(MathF.Round(w[r * cols + c] / scale), o.MinCode, o.MaxCode);
            }
        return new QuantizedMatrix(codes, scales, rows, cols, o.GroupSize);
    }

    public static float[] Dequantize(QuantizedMatrix q)
    {
        var w = new float[q.Rows * q.Cols];
        int groups = q.Groups;
        for (int r = 0; r < q.Rows; r++)
            for (int c = 0; c < q.Cols; c++)
                w[r * q.Cols + c] = q.Codes[r * q.Cols + c] * q.Scales[r * groups + c / q.GroupSize];
        return w;
    }

    /// <summary>The forward weight dequantize(quantize(w)) and the straight-through mask (1 inside the code range, 0 clipped).</summary>
    public static (float[] Weight, float[] Mask) Apply(float[] w, int rows, int cols, FakeQuantOptions o)
    {
        var (wq, mask) = (new float[w.Length], new float[w.Length]);
        Apply(w, rows, cols, o, wq, mask);
        return (wq, mask);
    }

    /// <summary>As above into the caller's buffers [rows, cols] — one pass, no allocation (a training step runs it per
    /// linear and micro-batch; fresh large arrays there cost more in collections than the arithmetic).</summary>
    public static void Apply(float[] w, int rows, int cols, FakeQuantOptions o, float[] wq, float[] mask)
    {
        for (int r = 0; r < rows; r++)
            for (int c0 = 0; c0 < cols; c0 += o.GroupSize)
            {
                int c1 = Math.Min(cols, c0 + o.GroupSize);
                float scale = Scale(w.AsSpan(r * cols + c0, c1 - c0), o);
                for (int i = r * cols + c0; i < r * cols + c1; i++)
                {
                    // Inside ⇔ the clamp left the rounded code alone; round-off of w/scale at the group maximum stays inside.
                    float x = MathF.Round(w[i] / scale);
                    float code = Math.Clamp(x, o.MinCode, o.MaxCode);
                    wq[i] = code * scale;
                    mask[i] = x == code ? 1f : 0f;
                }
            }
    }

    /// <summary>The same grid as unsigned codes q = c + 2^(b−1) with zero 2^(b−1) (GPTQ's symmetric layout): s·(q − z) = s·c exactly.</summary>
    public static Weights.QuantizedTensor ToQuantizedTensor(QuantizedMatrix q, int bits, string module)
    {
        int zero = 1 << (bits - 1);
        var codes = new byte[q.Codes.Length];
        for (int i = 0; i < codes.Length; i++) codes[i] = (byte)(q.Codes[i] + zero);
        var zeros = new float[q.Scales.Length];
        Array.Fill(zeros, zero);
        var format = Weights.QuantFormat.Int(bits, q.GroupSize, sym: true, module);
        return new Weights.QuantizedTensor(format, q.Rows, q.Cols, codes, (float[])q.Scales.Clone(), zeros,
            Weights.QuantizedTensor.SequentialGIdx(q.Cols, q.GroupSize)).Validated(module);
    }

    static float Scale(ReadOnlySpan<float> group, FakeQuantOptions o)
    {
        float max = 0;
        foreach (var v in group) max = MathF.Max(max, MathF.Abs(v));
        float s = o.ClipRatio * max / o.MaxCode;
        if (!(s > 0)) return 1f; // an all-zero group quantizes to zeros with any scale
        var h = (Half)s;
        return (float)((float)h < s ? Half.BitIncrement(h) : h);
    }
}
