using QuantReason.Kernels;
using QuantReason.Weights;
using QuantReason.Training.Ops;

namespace QuantReason.Training;

/// <summary>
/// One projection of the model as the trainer sees it: an f32 master weight [out, in] (+ bias), and optionally a LoRA
/// adapter, fake quantization of the weight (QAT, straight-through), or a frozen quantized base (QLoRA: the trainer's int4
/// RTN, or a GPTQ/AWQ/RTN/trit-plane linear read from a checkpoint) whose dequantization the forward reads instead,
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
    /// <summary>QAT on a PTQ checkpoint's grid (takes precedence over <see cref="FakeQuant"/>).</summary>
    public QuantGrid? Grid { get; set; }
    /// <summary>The frozen quantized base (packed; dequantized into short-lived buffers), or null for an f32 weight.</summary>
    public ILinearWeight? FrozenBase { get; private set; }
    /// <summary>QAT of activations: the forward multiplies x̂ = dequantize(quantize(x)) per token; the backward passes dL/dx̂
    /// to x inside the clip range and zero outside (straight-through).</summary>
    public ActivationScheme? InputQuant { get; set; }

    float[]? _steMask;      // [out, in] straight-through mask of the last fake-quantized forward
    float[]? _forwardWeight;
    float[]? _fakeWeight;   // [out, in] reused fake-quantized weight, and the raw gradient w.r.t. it
    float[]? _rawGrad;
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
        FreezeBase(Int4RtnBase.Quantize(Weight.Value, Out, In, groupSize));
    }

    /// <summary>Makes a packed weight (e.g. a GPTQ checkpoint's) this linear's frozen base; the f32 weight is released.</summary>
    public void FreezeBase(ILinearWeight packed)
    {
        if (packed.OutFeatures != Out || packed.InFeatures != In)
            throw new QuantReasonException($"frozen base is [{packed.OutFeatures}, {packed.InFeatures}], the linear is [{Out}, {In}]", Module);
        FrozenBase = packed;
        Weight.Release();
    }

    /// <summary>The weight the forward multiplies by: the frozen int4 base, dequantize(quantize(W)) under QAT, or W.</summary>
    public float[] ForwardWeight()
    {
        if (FrozenBase is not null) return FrozenBase.ToF32();
        if (Grid is not null || FakeQuant is not null)
        {
            _fakeWeight ??= new float[Out * In];
            _steMask ??= new float[Out * In];
            if (Grid is not null) Grid.Apply(Weight.Value, _fakeWeight, _steMask);
            else FakeQuantizer.Apply(Weight.Value, Out, In, FakeQuant!, _fakeWeight, _steMask);
            return _fakeWeight;
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
        _forwardWeight = FrozenBase is null ? w : null; // a packed base is dequantized again in the backward, not kept
        Linear.Forward(x, w, Bias?.Value, tokens, In, Out, y);
        if (Lora is not null && LoraEnabled) Lora.Forward(x, tokens, y);
    }

    /// <summary>Accumulates parameter gradients and writes (or adds, when accumulateDx) dL/dx [tokens, in].</summary>
    public void Backward(float[] dy, int tokens, float[]? dx, bool accumulateDx = false)
    {
        var w = _forwardWeight ?? FrozenBase?.ToF32() ?? throw new InvalidOperationException($"{Module}: backward before forward");
        float[]? dw = Weight.Grad;
        bool fake = (FakeQuant is not null || Grid is not null) && FrozenBase is null;
        float[]? raw = null;
        if (fake && (dw is not null || Grid?.Scale.Trainable == true))
        {
            raw = _rawGrad ??= new float[Out * In];
            Array.Clear(raw); // Linear.Backward accumulates into it
        }
        // With input quantization dL/dx̂ goes to a buffer of its own first: the mask applies to it (LoRA's share included).
        if (dx is not null && InputQuant is not null && _dxq.Length < tokens * In) _dxq = new float[tokens * In];
        float[]? dxq = dx is not null && InputQuant is not null ? _dxq : null;
        Linear.Backward(_x, w, dy, tokens, In, Out, dxq ?? dx, raw ?? dw, Bias?.Grad, dxq is null && accumulateDx);
        if (raw is not null && Grid?.Scale.Trainable == true) Grid.AccumulateScaleGrad(Weight.Value, raw);
        if (raw is not null && dw is not null)
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

    /// <summary>Folds the adapter into the f32 weight (W = base + s·B·A) and removes it; a packed base becomes the f32
    /// weight it dequantizes to, with or without an adapter, so the merged model computes what training computed.</summary>
    public void MergeLora()
    {
        if (FrozenBase is not null)
        {
            Weight.Restore(FrozenBase.ToF32());
            FrozenBase = null;
        }
        if (Lora is null) return;
        System.Numerics.Tensors.TensorPrimitives.Add(Weight.Value, Lora.Delta(), Weight.Value);
        Lora = null;
    }
}
