using QuantReason.Models;
using QuantReason.Training.Ops;
using QuantReason.Weights;

namespace QuantReason.Training;

/// <summary>
/// The self-attention sub-layer: q/k/v projections (with Qwen2's biases), Qwen3's per-head q_norm / k_norm, RoPE,
/// causal grouped-query <see cref="Attention"/>, the o projection. Forward and backward side by side; buffers are reused across steps.
/// With <see cref="KvQuant"/> the keys (after RoPE, as the runtime caches them) and values are fake-quantized per token,
/// head and group, with the straight-through estimator in the backward.
/// </summary>
public sealed class AttentionBlock
{
    readonly ModelConfig _cfg;
    readonly RopeTable _rope;
    readonly ScratchBuffers _scratch;
    public TrainableLinear Q { get; }
    public TrainableLinear K { get; }
    public TrainableLinear V { get; }
    public TrainableLinear O { get; }
    public Parameter? QNorm { get; }
    public Parameter? KNorm { get; }
    /// <summary>KV-cache quantization to train with (groups within a head, see <see cref="ActivationScheme.ForHeads"/>); null: f32.</summary>
    public ActivationScheme? KvQuant { get; set; }

    int _tokens, _batch, _seqLen;
    float[] _q = [], _k = [], _v = [], _qPre = [], _kPre = [], _qRstd = [], _kRstd = [], _probs = [], _ctx = [], _kMask = [], _vMask = [];

    public AttentionBlock(ModelConfig cfg, RopeTable rope, TrainableLinear q, TrainableLinear k, TrainableLinear v,
        TrainableLinear o, Parameter? qNorm, Parameter? kNorm, ScratchBuffers scratch)
    {
        _scratch = scratch;
        _cfg = cfg; _rope = rope; Q = q; K = k; V = v; O = o; QNorm = qNorm; KNorm = kNorm;
    }

    static void Ensure(ref float[] buf, long n) { if (buf.Length < n) buf = new float[n]; }

    /// <summary>x [tokens, hidden] → y [tokens, hidden] (the o projection's output, before the residual add).</summary>
    public void Forward(float[] x, int batch, int seqLen, float[] y)
    {
        int t = batch * seqLen, qd = _cfg.QDim, kd = _cfg.KvDim, hd = _cfg.HeadDim;
        _tokens = t; _batch = batch; _seqLen = seqLen;
        Ensure(ref _q, (long)t * qd); Ensure(ref _k, (long)t * kd); Ensure(ref _v, (long)t * kd); Ensure(ref _ctx, (long)t * qd);
        Ensure(ref _probs, (long)batch * _cfg.NumHeads * seqLen * seqLen);
        float eps = (float)_cfg.RmsNormEps;
        if (QNorm is not null)
        {
            Ensure(ref _qPre, (long)t * qd); Ensure(ref _kPre, (long)t * kd);
            Ensure(ref _qRstd, (long)t * _cfg.NumHeads); Ensure(ref _kRstd, (long)t * _cfg.NumKvHeads);
            Q.Forward(x, t, _qPre);
            K.Forward(x, t, _kPre);
            RmsNorm.Forward(_qPre, QNorm.Value, t * _cfg.NumHeads, hd, eps, _q, _qRstd);
            RmsNorm.Forward(_kPre, KNorm!.Value, t * _cfg.NumKvHeads, hd, eps, _k, _kRstd);
        }
        else
        {
            Q.Forward(x, t, _q);
            K.Forward(x, t, _k);
        }
        V.Forward(x, t, _v);
        Rope.Forward(_q, t, seqLen, _cfg.NumHeads, hd, _rope);
        Rope.Forward(_k, t, seqLen, _cfg.NumKvHeads, hd, _rope);
        if (KvQuant is not null)
        {
            Ensure(ref _kMask, (long)t * kd); Ensure(ref _vMask, (long)t * kd);
            KvQuant.FakeQuantize(_k.AsSpan(0, t * kd), t, kd, _kMask);
            KvQuant.FakeQuantize(_v.AsSpan(0, t * kd), t, kd, _vMask);
        }
        Attention.Forward(_q, _k, _v, batch, seqLen, _cfg.NumHeads, _cfg.NumKvHeads, hd, _probs, _ctx);
        O.Forward(_ctx, t, y);
    }

    /// <summary>dy [tokens, hidden] → dx [tokens, hidden] (overwritten), accumulating parameter gradients.</summary>
    public void Backward(float[] dy, float[] dx)
    {
        int t = _tokens, qd = _cfg.QDim, kd = _cfg.KvDim, hd = _cfg.HeadDim;
        var dctx = _scratch.Get("attn.dctx", (long)t * qd);
        O.Backward(dy, t, dctx);
        var dq = _scratch.Get("attn.dq", (long)t * qd);
        var dk = _scratch.Get("attn.dk", (long)t * kd);
        var dv = _scratch.Get("attn.dv", (long)t * kd);
        Attention.Backward(_q, _k, _v, _probs, dctx, _batch, _seqLen, _cfg.NumHeads, _cfg.NumKvHeads, hd, dq, dk, dv);
        if (KvQuant is not null)
        {
            // Straight-through: the cache's rounding is the identity for the gradient, its clamp cuts it.
            System.Numerics.Tensors.TensorPrimitives.Multiply(dk.AsSpan(0, t * kd), _kMask.AsSpan(0, t * kd), dk.AsSpan(0, t * kd));
            System.Numerics.Tensors.TensorPrimitives.Multiply(dv.AsSpan(0, t * kd), _vMask.AsSpan(0, t * kd), dv.AsSpan(0, t * kd));
        }
        Rope.Backward(dq, t, _seqLen, _cfg.NumHeads, hd, _rope);
        Rope.Backward(dk, t, _seqLen, _cfg.NumKvHeads, hd, _rope);
        if (QNorm is not null)
        {
            RmsNorm.Backward(_qPre, QNorm.Value, _qRstd, dq, t * _cfg.NumHeads, hd, dq, QNorm.Grad);
            RmsNorm.Backward(_kPre, KNorm!.Value, _kRstd, dk, t * _cfg.NumKvHeads, hd, dk, KNorm.Grad);
        }
        V.Backward(dv, t, dx);
        K.Backward(dk, t, dx, accumulateDx: true);
        Q.Backward(dq, t, dx, accumulateDx: true);
    }
}
