using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using QuantReason.Tensors;

namespace QuantReason.Kernels;

/// <summary>
/// A bf16 weight W [rows, cols] repacked once at load for y = x·Wᵀ with f32 activations. Tiles of 4 rows × 32 columns
/// are 256 contiguous bytes (row-major inside), and a block of 4 rows is its tiles in column order, so every thread
/// reads one sequential stream: W(r, c) sits at ((r/4)·cb + c/32)·128 + (r mod 4)·32 + c mod 32, cb = ⌈cols/32⌉, with
/// rows padded to a multiple of 4 and columns to 32 by zeros.
/// </summary>
/// <remarks>
/// Why this layout: the row-major 4-row tile reads four streams a row apart, and a one-row kernel reloads x twice per
/// weight vector; on the 2-core Zen 4 VM both stall on the loads of x (which the weight stream keeps evicting from L1)
/// and pull ≈20 GB/s per core against ≈31 GB/s for a plain read of the same bytes; the packed stream pulls ≈26.
/// bf16 → f32 needs no conversion instruction: read as 32-bit words, w &lt;&lt; 16 is the even element and
/// w &amp; 0xFFFF0000 the odd one, exactly; x is permuted once per call to match (per 32 columns: the 16 even ones,
/// then the 16 odd ones).
/// </remarks>
public sealed unsafe class PackedBF16 : IPanelSource
{
    /// <summary>From this many tokens on, the blocked GEMM (weights widened into packed panels once per block and
    /// shared by all tokens) beats the 4×4 register tiles that widen in place: per core on the Zen 4 VM, 16 tokens
    /// 63 vs 44 GFLOP/s, 32 tokens 49 vs 60, 64 tokens 48 vs 71 (tiles vs GEMM, [2048, 8192] and [8192, 2048]).</summary>
    public const int GemmMinTokens = 24;

    public const int TileRows = 4, TileCols = 32, TileSize = TileRows * TileCols;

    public int Rows { get; }
    public int Cols { get; }
    readonly int _colBlocks;
    readonly int _rowBlocks;
    readonly ushort[] _data; // [rowBlocks, colBlocks, 4, 32], pinned

    /// <summary>Bytes one pass over the weight streams (padding included).</summary>
    public long ByteSize => 2L * _data.Length;

    PackedBF16(int rows, int cols, ushort[] data)
    {
        Rows = rows; Cols = cols; _data = data;
        _colBlocks = (cols + TileCols - 1) / TileCols;
        _rowBlocks = (rows + TileRows - 1) / TileRows;
    }

    ushort* Data => (ushort*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_data));

    /// <summary>The pinned packed data: what one pass streams.</summary>
    public (nint Address, long Bytes) Memory => ((nint)Data, ByteSize);

    static long Index(int r, int c, int colBlocks) =>
        ((long)(r / TileRows) * colBlocks + c / TileCols) * TileSize + r % TileRows * TileCols + c % TileCols;

    /// <summary>Repacks a row-major bf16 matrix [rows, cols].</summary>
    public static PackedBF16 Pack(ReadOnlySpan<ushort> w, int rows, int cols)
    {
        if (rows <= 0 || cols <= 0 || w.Length < (long)rows * cols) throw new ArgumentException($"bf16 weight [{rows}, {cols}] needs {(long)rows * cols} elements, got {w.Length}");
        int colBlocks = (cols + TileCols - 1) / TileCols, rowBlocks = (rows + TileRows - 1) / TileRows;
        var data = WeightMemory.AllocatePinned<ushort>((long)rowBlocks * colBlocks * TileSize);
        fixed (ushort* src0 = w)
        {
            ushort* src = src0;
            fixed (ushort* dst0 = data)
            {
                ushort* dst = dst0;
                KernelThreads.For(rowBlocks, 1, (b0, b1) =>
                {
                    for (int rb = b0; rb < b1; rb++)
                        for (int i = 0; i < TileRows; i++)
                        {
                            int r = rb * TileRows + i;
                            for (int cb = 0; cb < colBlocks; cb++)
                            {
                                ushort* d = dst + ((long)rb * colBlocks + cb) * TileSize + i * TileCols;
                                int c0 = cb * TileCols, n = r < rows ? Math.Clamp(cols - c0, 0, TileCols) : 0;
                                if (n > 0) new ReadOnlySpan<ushort>(src + (long)r * cols + c0, n).CopyTo(new Span<ushort>(d, n));
                                if (n < TileCols) new Span<ushort>(d + n, TileCols - n).Clear();
                            }
                        }
                }, workPerItem: (long)colBlocks * TileSize);
            }
        }
        return new PackedBF16(rows, cols, data);
    }

    public ushort At(int r, int c) => _data[Index(r, c, _colBlocks)];

    /// <summary>Row <paramref name="r"/> widened to f32 (the embedding lookup).</summary>
    public void Row(int r, Span<float> dst)
    {
        for (int cb = 0; cb < _colBlocks; cb++)
        {
            int c0 = cb * TileCols, n = Math.Min(TileCols, Cols - c0);
            var src = _data.AsSpan((int)Index(r, c0, _colBlocks), n);
            for (int i = 0; i < n; i++) dst[c0 + i] = DTypes.BF16ToF32(src[i]);
        }
    }

    /// <summary>The row-major bf16 matrix back.</summary>
    public ushort[] Unpack()
    {
        var w = new ushort[(long)Rows * Cols];
        for (int r = 0; r < Rows; r++)
            for (int c0 = 0; c0 < Cols; c0 += TileCols)
                _data.AsSpan((int)Index(r, c0, _colBlocks), Math.Min(TileCols, Cols - c0)).CopyTo(w.AsSpan((int)((long)r * Cols + c0)));
        return w;
    }

    /// <summary>The scalar reference every path is tested against: y[t, r] = Σ_c W(r, c)·x[t, c] in f64.</summary>
    public void Reference(ReadOnlySpan<float> x /* [tokens, cols] */, Span<float> y /* [tokens, rows] */, int tokens)
    {
        for (int t = 0; t < tokens; t++)
            for (int r = 0; r < Rows; r++)
            {
                double s = 0;
                for (int c = 0; c < Cols; c++) s += (double)DTypes.BF16ToF32(At(r, c)) * x[t * Cols + c];
                y[t * Rows + r] = (float)s;
            }
    }

    /// <summary>y[t, r] = Σ_c W(r, c)·x[t, c] for t &lt; tokens, multi-threaded over blocks of 4 rows.</summary>
    public void Forward(float* x /* [tokens, cols] */, int tokens, float* y /* [tokens, rows] */, GemmPath path = GemmPath.Auto)
    {
        path = path switch
        {
            GemmPath.Auto when Vector512.IsHardwareAccelerated => GemmPath.Vector512,
            GemmPath.Auto when Vector256.IsHardwareAccelerated => GemmPath.Vector256,
            GemmPath.Auto => GemmPath.Scalar,
            _ => path,
        };
        if (tokens >= GemmMinTokens && path != GemmPath.Scalar)
        {
            GemmF32F32.MultiplyNT(tokens, Rows, Cols, x, Cols, this, y, Rows, path);
            return;
        }
        int cp = _colBlocks * TileCols;
        var buf = ArrayPool<float>.Shared.Rent(tokens * cp + 16);
        try
        {
            fixed (float* b = buf)
            {
                float* xp = (float*)(((nint)b + 63) & ~(nint)63); // [tokens, cp] permuted x
                Interleave(x, tokens, Cols, xp, cp);
                nint xpp = (nint)xp, yp = (nint)y, wp = (nint)Data;
                int rows = Rows, colBlocks = _colBlocks;
                KernelThreads.For(_rowBlocks, 1, (b0, b1) =>
                {
                    for (int rb = b0; rb < b1; rb++)
                    {
                        ushort* w = (ushort*)wp + (long)rb * colBlocks * TileSize;
                        int r = rb * TileRows, valid = Math.Min(TileRows, rows - r);
                        float* xb = (float*)xpp, yb = (float*)yp + r;
                        int t = 0;
                        if (path == GemmPath.Vector512)
                        {
                            for (; t + 4 <= tokens; t += 4) Tile4x4Avx512(w, colBlocks, xb + (long)t * cp, cp, yb + (long)t * rows, rows, valid);
                            for (; t < tokens; t++) Tile4x1Avx512(w, colBlocks, xb + (long)t * cp, yb + (long)t * rows, valid);
                        }
                        else if (path == GemmPath.Vector256)
                            for (; t < tokens; t++) Tile4x1Avx2(w, colBlocks, xb + (long)t * cp, yb + (long)t * rows, valid);
                        else
                            for (; t < tokens; t++) Tile4x1Scalar(w, colBlocks, xb + (long)t * cp, yb + (long)t * rows, valid);
                    }
                }, workPerItem: (long)cp * TileRows * tokens);
            }
        }
        finally { ArrayPool<float>.Shared.Return(buf); }
    }

    /// <summary>Packed B blocks for the GEMM: W[j0 .. j0+nc, p0 .. p0+kc]ᵀ as panels of nr weight rows, each [kc, nr].
    /// Whole 4×32 tiles are widened and transposed with 128-bit stores; partial ones (the last columns) element by element.</summary>
    void IPanelSource.Pack(int p0, int kc, int j0, int nc, float* dst, int nr)
    {
        ushort* data = Data;
        var hm = Vector256.Create(0xFFFF0000u);
        for (int jr = 0; jr < nc; jr += nr)
        {
            float* panel = dst + (long)jr * kc;
            for (int rt = 0; rt < nr / TileRows; rt++)
            {
                int rb = (j0 + jr) / TileRows + rt;
                float* d = panel + rt * TileRows;
                if (rb >= _rowBlocks || rb * TileRows >= j0 + nc)
                {
                    for (int p = 0; p < kc; p++) Vector128<float>.Zero.Store(d + (long)p * nr);
                    continue;
                }
                for (int c0 = p0; c0 < p0 + kc; c0 += TileCols)
                {
                    ushort* tile = data + ((long)rb * _colBlocks + c0 / TileCols) * TileSize;
                    float* dc = d + (long)(c0 - p0) * nr;
                    if (c0 + TileCols <= p0 + kc && c0 % TileCols == 0 && Vector256.IsHardwareAccelerated)
                    {
                        uint* u = (uint*)tile;
                        for (int h = 0; h < 2; h++)
                        {
                            // Words 8h .. 8h+7 of the four rows: columns 16h + 2j (even) and 16h + 2j + 1 (odd).
                            var w0 = Vector256.Load(u + 8 * h); var w1 = Vector256.Load(u + 16 + 8 * h);
                            var w2 = Vector256.Load(u + 32 + 8 * h); var w3 = Vector256.Load(u + 48 + 8 * h);
                            GemmF32F32.Transpose4x8((w0 << 16).AsSingle(), (w1 << 16).AsSingle(), (w2 << 16).AsSingle(), (w3 << 16).AsSingle(), dc + 16L * h * nr, 2L * nr);
                            GemmF32F32.Transpose4x8((w0 & hm).AsSingle(), (w1 & hm).AsSingle(), (w2 & hm).AsSingle(), (w3 & hm).AsSingle(), dc + (16L * h + 1) * nr, 2L * nr);
                        }
                    }
                    else
                    {
                        int from = Math.Max(c0, p0) - c0, to = Math.Min(TileCols, p0 + kc - c0);
                        for (int cc = from; cc < to; cc++)
                            for (int i = 0; i < TileRows; i++) dc[(long)cc * nr + i] = DTypes.BF16ToF32(tile[i * TileCols + cc]);
                    }
                }
            }
        }
    }

    /// <summary>x [tokens, cols] → [tokens, cp]: per 32 columns the even ones then the odd ones, zero past cols.</summary>
    static void Interleave(float* x, int tokens, int cols, float* dst, int cp)
    {
        for (int t = 0; t < tokens; t++)
        {
            float* s = x + (long)t * cols, d = dst + (long)t * cp;
            for (int c0 = 0; c0 < cp; c0 += TileCols, d += TileCols)
            {
                if (c0 + TileCols <= cols)
                    for (int j = 0; j < 16; j++) { d[j] = s[c0 + 2 * j]; d[16 + j] = s[c0 + 2 * j + 1]; }
                else
                    for (int j = 0; j < 16; j++)
                    {
                        d[j] = c0 + 2 * j < cols ? s[c0 + 2 * j] : 0;
                        d[16 + j] = c0 + 2 * j + 1 < cols ? s[c0 + 2 * j + 1] : 0;
                    }
            }
        }
    }

    static void Store(float* y, int valid, float s0, float s1, float s2, float s3)
    {
        y[0] = s0;
        if (valid > 1) y[1] = s1;
        if (valid > 2) y[2] = s2;
        if (valid > 3) y[3] = s3;
    }

    /// <summary>Portable path with the kernels' structure (even and odd partial sums per row).</summary>
    static void Tile4x1Scalar(ushort* w, int colBlocks, float* x, float* y, int valid)
    {
        Span<float> s = stackalloc float[TileRows];
        for (int i = 0; i < TileRows; i++)
        {
            float even = 0, odd = 0;
            for (int cb = 0; cb < colBlocks; cb++)
            {
                ushort* t = w + (long)cb * TileSize + i * TileCols;
                float* xc = x + cb * TileCols;
                for (int j = 0; j < 16; j++)
                {
                    even += DTypes.BF16ToF32(t[2 * j]) * xc[j];
                    odd += DTypes.BF16ToF32(t[2 * j + 1]) * xc[16 + j];
                }
            }
            s[i] = even + odd;
        }
        Store(y, valid, s[0], s[1], s[2], s[3]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Tile4x1Avx2(ushort* w, int colBlocks, float* x, float* y, int valid)
    {
        var hm = Vector256.Create(0xFFFF0000u);
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
        uint* u = (uint*)w;
        for (int cb = 0; cb < colBlocks; cb++, u += TileSize / 2, x += TileCols)
        {
            // Words 0–7 of a row hold columns 0–15 (even ones → x[0..8), odd ones → x[16..24)), words 8–15 columns 16–31.
            var xe0 = Vector256.Load(x); var xe1 = Vector256.Load(x + 8);
            var xo0 = Vector256.Load(x + 16); var xo1 = Vector256.Load(x + 24);
            var l = Vector256.Load(u); var h = Vector256.Load(u + 8);
            a0 = Vector256.FusedMultiplyAdd((l << 16).AsSingle(), xe0, a0); b0 = Vector256.FusedMultiplyAdd((l & hm).AsSingle(), xo0, b0);
            a0 = Vector256.FusedMultiplyAdd((h << 16).AsSingle(), xe1, a0); b0 = Vector256.FusedMultiplyAdd((h & hm).AsSingle(), xo1, b0);
            l = Vector256.Load(u + 16); h = Vector256.Load(u + 24);
            a1 = Vector256.FusedMultiplyAdd((l << 16).AsSingle(), xe0, a1); b1 = Vector256.FusedMultiplyAdd((l & hm).AsSingle(), xo0, b1);
            a1 = Vector256.FusedMultiplyAdd((h << 16).AsSingle(), xe1, a1); b1 = Vector256.FusedMultiplyAdd((h & hm).AsSingle(), xo1, b1);
            l = Vector256.Load(u + 32); h = Vector256.Load(u + 40);
            a2 = Vector256.FusedMultiplyAdd((l << 16).AsSingle(), xe0, a2); b2 = Vector256.FusedMultiplyAdd((l & hm).AsSingle(), xo0, b2);
            a2 = Vector256.FusedMultiplyAdd((h << 16).AsSingle(), xe1, a2); b2 = Vector256.FusedMultiplyAdd((h & hm).AsSingle(), xo1, b2);
            l = Vector256.Load(u + 48); h = Vector256.Load(u + 56);
            a3 = Vector256.FusedMultiplyAdd((l << 16).AsSingle(), xe0, a3); b3 = Vector256.FusedMultiplyAdd((l & hm).AsSingle(), xo0, b3);
            a3 = Vector256.FusedMultiplyAdd((h << 16).AsSingle(), xe1, a3); b3 = Vector256.FusedMultiplyAdd((h & hm).AsSingle(), xo1, b3);
        }
        Store(y, valid, Vector256.Sum(a0 + b0), Vector256.Sum(a1 + b1), Vector256.Sum(a2 + b2), Vector256.Sum(a3 + b3));
    }

    /// <summary>One token: the same per-lane order as <see cref="Tile4x4Avx512"/> (even then odd columns into one
    /// accumulator per row), so a token's result does not depend on how the batch groups it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Tile4x1Avx512(ushort* w, int colBlocks, float* x, float* y, int valid)
    {
        var hm = Vector512.Create(0xFFFF0000u);
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        uint* u = (uint*)w;
        for (int cb = 0; cb < colBlocks; cb++, u += TileSize / 2, x += TileCols)
        {
            var xe = Vector512.Load(x); var xo = Vector512.Load(x + 16);
            var u0 = Vector512.Load(u); var u1 = Vector512.Load(u + 16); var u2 = Vector512.Load(u + 32); var u3 = Vector512.Load(u + 48);
            c0 = Vector512.FusedMultiplyAdd((u0 & hm).AsSingle(), xo, Vector512.FusedMultiplyAdd((u0 << 16).AsSingle(), xe, c0));
            c1 = Vector512.FusedMultiplyAdd((u1 & hm).AsSingle(), xo, Vector512.FusedMultiplyAdd((u1 << 16).AsSingle(), xe, c1));
            c2 = Vector512.FusedMultiplyAdd((u2 & hm).AsSingle(), xo, Vector512.FusedMultiplyAdd((u2 << 16).AsSingle(), xe, c2));
            c3 = Vector512.FusedMultiplyAdd((u3 & hm).AsSingle(), xo, Vector512.FusedMultiplyAdd((u3 << 16).AsSingle(), xe, c3));
        }
        Store(y, valid, Vector512.Sum(c0), Vector512.Sum(c1), Vector512.Sum(c2), Vector512.Sum(c3));
    }

    /// <summary>4 rows × 4 tokens: each weight vector is widened once and used by four tokens (16 accumulators, one per
    /// row and token, even and odd columns chained into the same one).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Tile4x4Avx512(ushort* w, int colBlocks, float* x, int ldx, float* y, int ldy, int valid)
    {
        var hm = Vector512.Create(0xFFFF0000u);
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default;
        uint* u = (uint*)w;
        float* x0 = x, x1 = x + ldx, x2 = x + 2L * ldx, x3 = x + 3L * ldx;
        for (int cb = 0; cb < colBlocks; cb++, u += TileSize / 2)
        {
            int o = cb * TileCols;
            var u0 = Vector512.Load(u); var u1 = Vector512.Load(u + 16); var u2 = Vector512.Load(u + 32); var u3 = Vector512.Load(u + 48);
            var e0 = (u0 << 16).AsSingle(); var e1 = (u1 << 16).AsSingle(); var e2 = (u2 << 16).AsSingle(); var e3 = (u3 << 16).AsSingle();
            var d0 = (u0 & hm).AsSingle(); var d1 = (u1 & hm).AsSingle(); var d2 = (u2 & hm).AsSingle(); var d3 = (u3 & hm).AsSingle();
            var xe = Vector512.Load(x0 + o); var xo = Vector512.Load(x0 + o + 16);
            c00 = Vector512.FusedMultiplyAdd(d0, xo, Vector512.FusedMultiplyAdd(e0, xe, c00));
            c01 = Vector512.FusedMultiplyAdd(d1, xo, Vector512.FusedMultiplyAdd(e1, xe, c01));
            c02 = Vector512.FusedMultiplyAdd(d2, xo, Vector512.FusedMultiplyAdd(e2, xe, c02));
            c03 = Vector512.FusedMultiplyAdd(d3, xo, Vector512.FusedMultiplyAdd(e3, xe, c03));
            xe = Vector512.Load(x1 + o); xo = Vector512.Load(x1 + o + 16);
            c10 = Vector512.FusedMultiplyAdd(d0, xo, Vector512.FusedMultiplyAdd(e0, xe, c10));
            c11 = Vector512.FusedMultiplyAdd(d1, xo, Vector512.FusedMultiplyAdd(e1, xe, c11));
            c12 = Vector512.FusedMultiplyAdd(d2, xo, Vector512.FusedMultiplyAdd(e2, xe, c12));
            c13 = Vector512.FusedMultiplyAdd(d3, xo, Vector512.FusedMultiplyAdd(e3, xe, c13));
            xe = Vector512.Load(x2 + o); xo = Vector512.Load(x2 + o + 16);
            c20 = Vector512.FusedMultiplyAdd(d0, xo, Vector512.FusedMultiplyAdd(e0, xe, c20));
            c21 = Vector512.FusedMultiplyAdd(d1, xo, Vector512.FusedMultiplyAdd(e1, xe, c21));
            c22 = Vector512.FusedMultiplyAdd(d2, xo, Vector512.FusedMultiplyAdd(e2, xe, c22));
            c23 = Vector512.FusedMultiplyAdd(d3, xo, Vector512.FusedMultiplyAdd(e3, xe, c23));
            xe = Vector512.Load(x3 + o); xo = Vector512.Load(x3 + o + 16);
            c30 = Vector512.FusedMultiplyAdd(d0, xo, Vector512.FusedMultiplyAdd(e0, xe, c30));
            c31 = Vector512.FusedMultiplyAdd(d1, xo, Vector512.FusedMultiplyAdd(e1, xe, c31));
            c32 = Vector512.FusedMultiplyAdd(d2, xo, Vector512.FusedMultiplyAdd(e2, xe, c32));
            c33 = Vector512.FusedMultiplyAdd(d3, xo, Vector512.FusedMultiplyAdd(e3, xe, c33));
        }
        Store(y, valid, Vector512.Sum(c00), Vector512.Sum(c01), Vector512.Sum(c02), Vector512.Sum(c03));
        Store(y + ldy, valid, Vector512.Sum(c10), Vector512.Sum(c11), Vector512.Sum(c12), Vector512.Sum(c13));
        Store(y + 2L * ldy, valid, Vector512.Sum(c20), Vector512.Sum(c21), Vector512.Sum(c22), Vector512.Sum(c23));
        Store(y + 3L * ldy, valid, Vector512.Sum(c30), Vector512.Sum(c31), Vector512.Sum(c32), Vector512.Sum(c33));
    }
}
