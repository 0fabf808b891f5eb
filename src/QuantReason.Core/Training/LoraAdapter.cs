using QuantReason.Kernels;
using QuantReason.Models;

namespace QuantReason.Training;

/// <summary>Which linears get LoRA adapters, and their rank and alpha (y = Wx + (alpha/rank)·B(Ax)).</summary>
public sealed record LoraOptions(int Rank, float Alpha, IReadOnlyList<string> Targets, int Seed = 0)
{
    public float Scale => Alpha / Rank;

    public void Validate()
    {
        if (Rank <= 0) throw new QuantReasonException($"LoRA rank must be positive, got {Rank}", "lora");
        if (!(Alpha > 0)) throw new QuantReasonException($"LoRA alpha must be positive, got {Alpha}", "lora");
        if (Targets.Count == 0) throw new QuantReasonException($"LoRA needs at least one target module (e.g. {WeightNames.Module(Projection.Q)})", "lora");
    }

    /// <summary>Targets name the last part of a module path (<see cref="WeightNames.Module"/>: the q projection's matches
    /// its path in every layer).</summary>
    public bool Matches(string module) => Targets.Any(t => module == t || module.EndsWith("." + t, StringComparison.Ordinal));
}

/// <summary>
/// A low-rank adapter on one linear: A [rank, in], B [out, rank]; its output s·B(Ax) adds to the frozen base's.
/// Initialised as PEFT does: A uniform in ±1/√in (kaiming-uniform with a = √5), B zero, so training starts at the base.
/// </summary>
public sealed class LoraAdapter
{
    public Parameter A { get; }
    public Parameter B { get; }
    public int Rank { get; }
    public float Scale { get; }
    float[] _u = [], _du = []; // [tokens, rank]: u = s·(x·Aᵀ) saved for the backward, and its gradient

    public LoraAdapter(string module, int inDim, int outDim, int rank, float scale, Random rng)
    {
        Rank = rank;
        Scale = scale;
        var a = new float[rank * inDim];
        float bound = 1f / MathF.Sqrt(inDim);
        for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1) * bound;
        A = new Parameter(module + ".lora_A", a, rank, inDim);
        B = new Parameter(module + ".lora_B", new float[outDim * rank], outDim, rank);
    }

    int In => (int)A.Shape[1];
    int Out => (int)B.Shape[0];

    /// <summary>y += s·(x·Aᵀ)·Bᵀ. x [tokens, in], y [tokens, out].</summary>
    public void Forward(float[] x, int tokens, float[] y)
    {
        if (_u.Length < tokens * Rank) _u = new float[tokens * Rank];
        GemmF32F32.NT(tokens, Rank, In, x, A.Value, _u);
        System.Numerics.Tensors.TensorPrimitives.Multiply(_u.AsSpan(0, tokens * Rank), Scale, _u.AsSpan(0, tokens * Rank));
        GemmF32F32.NT(tokens, Out, Rank, _u, B.Value, y, accumulate: true);
    }

    /// <summary>dB += dyᵀ·u; du = s·dy·B; dA += duᵀ·x; dx += du·A.</summary>
    public void Backward(float[] x, float[] dy, int tokens, float[]? dx)
    {
        if (B.Grad is not null) GemmF32F32.TN(Out, Rank, tokens, dy, _u, B.Grad, accumulate: true);
        if (_du.Length < tokens * Rank) _du = new float[tokens * Rank];
        var du = _du;
        GemmF32F32.NN(tokens, Rank, Out, dy, B.Value, du);
        System.Numerics.Tensors.TensorPrimitives.Multiply(du.AsSpan(0, tokens * Rank), Scale, du.AsSpan(0, tokens * Rank));
        if (A.Grad is not null) GemmF32F32.TN(Rank, In, tokens, du, x, A.Grad, accumulate: true);
        if (dx is not null) GemmF32F32.NN(tokens, In, Rank, du, A.Value, dx, accumulate: true);
    }

    /// <summary>The dense update s·B·A [out, in] that merging adds to the base weight.</summary>
    public float[] Delta()
    {
        var d = new float[Out * In];
        GemmF32F32.NN(Out, In, Rank, B.Value, A.Value, d);
        System.Numerics.Tensors.TensorPrimitives.Multiply(d, Scale, d);
        return d;
    }
}
