using QuantReason.Kernels;
using QuantReason.Training.Ops;
using QuantReason.Weights;

namespace QuantReason.Training;

/// <summary>
/// One projection of the model as the trainer sees it: an f32 master weight [out, in] (+ bias), and optionally a LoRA
/// adapter, fake quantization of the weight (QAT, straight-through), or a frozen int4 base (QLoRA) the forward reads instead,
/// and optionally fake quantization of its input (<see cref="InputQuant"/>: per-token dynamic, as the runtime's W·A· path).
/// Keeps a reference to its forward input for the backward, so the caller must not overwrite it in between.
/// </summary>
public sealed class TrainableLinear
{
    public string Module { get; }
    public Parameter Weight { get; }
    public Parameter? Bias { get; }
    public int In { get; }
    public int Out { get; }
    public LoraAdapter? Lora { get; set; }
    public bool LoraEnabled { get; set; } = true;
    public FakeQuantOptions? FakeQuant { get; set; }
    public Int4RtnBase? FrozenBase { get; private set; }
    /// <summary>QAT of activations: the forward multiplies x̂ = dequantize(quantize(x)) per token; the backward passes dL/dx̂
    /// to x inside the clip range and zero outside (straight-through).</summary>
    public ActivationScheme? InputQuant { get; set; }

    float[]? _steMask;      // [out, in] straight-through mask of the last fake-quantized forward
    float[]? _forwardWeight;
    float[] _x = [];
    float[] _xq = [], _xMask = [], _dxq = []; // [tokens, in] x̂, its straight-through mask, dL/dx̂ (with InputQuant)

    public TrainableLinear(string module, Parameter weight, Parameter? bias)
    {
        Module = module;
        Weight = weight;
        Bias = bias;
        Out = (int)weight.Shape[0];
        In = (int)weight.Shape[1];
    }

    /// <summary>
    /// Replaces the base by its int4 RTN quantization and freezes it (QLoRA). Only the packed codes and scales stay
    /// (≈ 0.5 + 4/group bytes per weight instead of 4): the f32 weight is released, and the forward and the backward
    /// each dequantize into a short-lived buffer.
    /// </summary>
    public void QuantizeBase(int groupSize)
    {
        FrozenBase = Int4RtnBase.Quantize(Weight.Value, Out, In, groupSize);
        Weight.Release();
    }

    /// <summary>The weight the forward multiplies by: the frozen int4 base, dequantize(quantize(W)) under QAT, or W.</summary>
    public float[] ForwardWeight()
    {
        if (FrozenBase is not null) return FrozenBase.Dequantize();
        if (FakeQuant is not null)
        {
            (var wq, _steMask) = FakeQuantizer.Apply(Weight.Value, Out, In, FakeQuant);
            return wq;
        }
        return Weight.Value;
    }

    /// <summary>y [tokens, out] = x [tokens, in]·Wᵀ + b (+ LoRA).</summary>
    public void Forward(float[] x, int tokens, float[] y)
    {
        if (InputQuant is not null)
        {
            int n = tokens * In;
            if (_xq.Length < n) { _xq = new float[n]; _xMask = new float[n]; }
            x.AsSpan(0, n).CopyTo(_xq);
            InputQuant.FakeQuantize(_xq.AsSpan(0, n), tokens, In, _xMask);
            x = _xq;
        }
        _x = x;
        var w = ForwardWeight();
        _forwardWeight = FrozenBase is null ? w : null; // an int4 base is dequantized again in the backward, not kept
        Linear.Forward(x, w, Bias?.Value, tokens, In, Out, y);
        if (Lora is not null && LoraEnabled) Lora.Forward(x, tokens, y);
    }

    /// <summary>Accumulates parameter gradients and writes (or adds, when accumulateDx) dL/dx [tokens, in].</summary>
    public void Backward(float[] dy, int tokens, float[]? dx, bool accumulateDx = false)
    {
        var w = _forwardWeight ?? FrozenBase?.Dequantize() ?? throw new InvalidOperationException($"{Module}: backward before forward");
        float[]? dw = Weight.Grad;
        float[]? raw = dw is not null && FakeQuant is not null && FrozenBase is null ? new float[dw.Length] : null;
        // With input quantization dL/dx̂ goes to a buffer of its own first: the mask applies to it (LoRA's share included).
        if (dx is not null && InputQuant is not null && _dxq.Length < tokens * In) _dxq = new float[tokens * In];
        float[]? dxq = dx is not null && InputQuant is not null ? _dxq : null;
        Linear.Backward(_x, w, dy, tokens, In, Out, dxq ?? dx, raw ?? dw, Bias?.Grad, dxq is null && accumulateDx);
        if (raw is not null)
        {
            // Straight-through: the gradient w.r.t. dequantize(quantize(W)) reaches W only inside the clipping range.
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(raw, _steMask!, dw!, dw!);
        }
        if (Lora is not null && LoraEnabled)
        {
            if (dx is null) Lora.Backward(_x, dy, tokens, null);
            else Lora.Backward(_x, dy, tokens, dxq ?? dx);
        }
        if (dxq is not null)
        {
            int n = tokens * In;
            var span = dx!.AsSpan(0, n);
            if (accumulateDx) System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(dxq.AsSpan(0, n), _xMask.AsSpan(0, n), span, span);
            else System.Numerics.Tensors.TensorPrimitives.Multiply(dxq.AsSpan(0, n), _xMask.AsSpan(0, n), span);
        }
    }

    /// <summary>Folds the adapter into the f32 weight (W = base + s·B·A) and removes it; an int4 base becomes the f32
    /// weight it dequantizes to, with or without an adapter, so the merged model computes what training computed.</summary>
    public void MergeLora()
    {
        if (FrozenBase is not null)
        {
            Weight.Restore(FrozenBase.Dequantize());
            FrozenBase = null;
        }
        if (Lora is null) return;
        System.Numerics.Tensors.TensorPrimitives.Add(Weight.Value, Lora.Delta(), Weight.Value);
        Lora = null;
    }
}
