using QuantReason.Kernels;

namespace QuantReason.Weights;

/// <summary>
/// A LoRA adapter applied unmerged on top of any linear weight: y = base(x) + s·(x·Aᵀ)·Bᵀ. The base keeps its own format
/// and kernel (packed GPTQ/AWQ/trit-plane codes stay packed), so a quantized checkpoint with an adapter runs exactly the
/// model QLoRA trained, and the rank-r detour costs 2·r·(in + out) flops per token.
/// </summary>
public sealed class LoraLinear : ILinearWeight
{
    public ILinearWeight Base { get; }
    public float[] A { get; }   // [rank, in]
    public float[] B { get; }   // [out, rank]
    public int Rank { get; }
    public float Scale { get; }

    public int InFeatures => Base.InFeatures;
    public int OutFeatures => Base.OutFeatures;
    public string Format => Base.Format + "+lora" + Rank;
    public long ByteSize => Base.ByteSize + 4L * (A.Length + B.Length);

    public LoraLinear(ILinearWeight baseWeight, float[] a, float[] b, int rank, float scale, string layer = "weight")
    {
        if (rank <= 0 || a.Length != (long)rank * baseWeight.InFeatures || b.Length != (long)baseWeight.OutFeatures * rank)
            throw new QuantReasonException($"LoRA A has {a.Length} and B {b.Length} values; rank {rank} over a [{baseWeight.OutFeatures}, {baseWeight.InFeatures}] " +
                $"weight needs A [{rank}, {baseWeight.InFeatures}] and B [{baseWeight.OutFeatures}, {rank}]", layer);
        Base = baseWeight; A = a; B = b; Rank = rank; Scale = scale;
    }

    public void Forward(ReadOnlySpan<float> x /* [tokens, in] */, Span<float> y /* [tokens, out] */, int tokens)
    {
        Base.Forward(x, y, tokens);
        var u = new float[tokens * Rank]; // [tokens, rank]
        GemmF32F32.NT(tokens, Rank, InFeatures, x, A, u);
        System.Numerics.Tensors.TensorPrimitives.Multiply(u, Scale, u);
        GemmF32F32.NT(tokens, OutFeatures, Rank, u, B, y, accumulate: true);
    }

    /// <summary>The merged weight base + s·B·A as f32 [out, in].</summary>
    public float[] ToF32()
    {
        var w = Base.ToF32();
        var d = new float[w.Length];
        GemmF32F32.NN(OutFeatures, InFeatures, Rank, B, A, d);
        System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(d, Scale, w, w);
        return w;
    }
}
