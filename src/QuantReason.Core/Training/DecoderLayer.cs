using QuantReason.Models;
using QuantReason.Training.Ops;

namespace QuantReason.Training;

/// <summary>One pre-norm decoder layer: h = x + attn(rms(x)); out = h + down(silu(gate(rms(h))) ⊙ up(rms(h))).</summary>
public sealed class DecoderLayer
{
    readonly ModelConfig _cfg;
    readonly ScratchBuffers _scratch;
    public Parameter InputNorm { get; }
    public Parameter PostAttentionNorm { get; }
    public AttentionBlock Attention { get; }
    public TrainableLinear Gate { get; }
    public TrainableLinear Up { get; }
    public TrainableLinear Down { get; }

    int _tokens;
    float[] _x = [];                                        // [tokens, hidden] input (owned by the caller)
    float[] _n1 = [], _r1 = [], _h = [], _n2 = [], _r2 = [];  // norms, rstd, residual after attention
    float[] _gate = [], _up = [], _act = [];                // [tokens, intermediate]

    public DecoderLayer(ModelConfig cfg, Parameter inputNorm, Parameter postNorm, AttentionBlock attention,
        TrainableLinear gate, TrainableLinear up, TrainableLinear down, ScratchBuffers scratch)
    {
        _scratch = scratch;
        _cfg = cfg; InputNorm = inputNorm; PostAttentionNorm = postNorm; Attention = attention; Gate = gate; Up = up; Down = down;
    }

    static void Ensure(ref float[] buf, long n) { if (buf.Length < n) buf = new float[n]; }

    /// <summary>x [tokens, hidden] → y [tokens, hidden]; x must stay unchanged until the backward.</summary>
    public void Forward(float[] x, int batch, int seqLen, float[] y)
    {
        int t = batch * seqLen, h = _cfg.HiddenSize, f = _cfg.IntermediateSize;
        float eps = (float)_cfg.RmsNormEps;
        _tokens = t; _x = x;
        Ensure(ref _n1, (long)t * h); Ensure(ref _r1, t); Ensure(ref _h, (long)t * h); Ensure(ref _n2, (long)t * h); Ensure(ref _r2, t);
        Ensure(ref _gate, (long)t * f); Ensure(ref _up, (long)t * f); Ensure(ref _act, (long)t * f);
        RmsNorm.Forward(x, InputNorm.Value, t, h, eps, _n1, _r1);
        Attention.Forward(_n1, batch, seqLen, _h);
        System.Numerics.Tensors.TensorPrimitives.Add(_h.AsSpan(0, t * h), x.AsSpan(0, t * h), _h.AsSpan(0, t * h));
        RmsNorm.Forward(_h, PostAttentionNorm.Value, t, h, eps, _n2, _r2);
        Gate.Forward(_n2, t, _gate);
        Up.Forward(_n2, t, _up);
        SwiGlu.Forward(_gate, _up, _act, t * f);
        Down.Forward(_act, t, y);
        System.Numerics.Tensors.TensorPrimitives.Add(y.AsSpan(0, t * h), _h.AsSpan(0, t * h), y.AsSpan(0, t * h));
    }

    /// <summary>dy [tokens, hidden] → dx [tokens, hidden] (overwritten; may alias dy).</summary>
    public void Backward(float[] dy, float[] dx)
    {
        int t = _tokens, h = _cfg.HiddenSize, f = _cfg.IntermediateSize;
        var dact = _scratch.Get("layer.dact", (long)t * f);
        Down.Backward(dy, t, dact);
        var dgate = _scratch.Get("layer.dgate", (long)t * f);
        var dup = _scratch.Get("layer.dup", (long)t * f);
        SwiGlu.Backward(_gate, _up, dact, dgate, dup, t * f);
        var dn2 = _scratch.Get("layer.dn2", (long)t * h);
        Gate.Backward(dgate, t, dn2);
        Up.Backward(dup, t, dn2, accumulateDx: true);
        var dh = _scratch.Get("layer.dh", (long)t * h);
        RmsNorm.Backward(_h, PostAttentionNorm.Value, _r2, dn2, t, h, dh, PostAttentionNorm.Grad);
        System.Numerics.Tensors.TensorPrimitives.Add(dh.AsSpan(0, t * h), dy.AsSpan(0, t * h), dh.AsSpan(0, t * h)); // residual
        var dn1 = dn2; // reuse [tokens, hidden]
        Attention.Backward(dh, dn1);
        RmsNorm.Backward(_x, InputNorm.Value, _r1, dn1, t, h, dx, InputNorm.Grad);
        System.Numerics.Tensors.TensorPrimitives.Add(dx.AsSpan(0, t * h), dh.AsSpan(0, t * h), dx.AsSpan(0, t * h)); // residual
    }
}
