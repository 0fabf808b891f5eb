using System.Numerics.Tensors;
using QuantReason.Tensors;
using QuantReason.Data.StepMath;

namespace QuantReason.Training;

/// <summary>AdamW hyper-parameters (torch.optim.AdamW's meaning). Weight decay skips 1-D tensors (norms, biases) unless
/// <see cref="DecayVectors"/>, as LLM training recipes do.</summary>
public sealed record AdamWOptions(float Beta1 = 0.9f, float Beta2 = 0.999f, float Eps = 1e-8f, float WeightDecay = 0.01f, bool DecayVectors = false)
{
    public void Validate()
    {
        if (!(Beta1 >= 0 && Beta1 < 1) || !(Beta2 >= 0 && Beta2 < 1)) throw new QuantReasonException($"betas must be in [0, 1), got {Beta1}, {Beta2}", "adamw");
        if (!(Eps > 0)) throw new QuantReasonException($"eps must be positive, got {Eps}", "adamw");
        if (!(WeightDecay >= 0)) throw new QuantReasonException($"weight decay must be non-negative, got {WeightDecay}", "adamw");
    }
}

/// <summary>
/// AdamW exactly as torch.optim.AdamW (non-fused, amsgrad off): p ← p·(1 − lr·wd); m ← β1·m + (1−β1)·g;
/// v ← β2·v + (1−β2)·g²; p ← p − (lr/(1−β1ᵗ))·m / (√v/√(1−β2ᵗ) + eps). Elementwise, so deterministic.
/// </summary>
public sealed class AdamW
{
    readonly Parameter[] _params;
    readonly float[][] _m, _v;
    public AdamWOptions Options { get; }
    public int Step { get; private set; }

    public AdamW(IEnumerable<Parameter> parameters, AdamWOptions options)
    {
        options.Validate();
        Options = options;
        _params = parameters.Where(p => p.Trainable).ToArray();
        _m = _params.Select(p => new float[p.Value.Length]).ToArray();
        _v = _params.Select(p => new float[p.Value.Length]).ToArray();
    }

    public IReadOnlyList<Parameter> Parameters => _params;

    public void Update(float lr)
    {
        Step++;
        float b1 = Options.Beta1, b2 = Options.Beta2;
        double bc1 = 1 - Math.Pow(b1, Step), bc2 = 1 - Math.Pow(b2, Step);
        float stepSize = (float)(lr / bc1), bc2Sqrt = (float)Math.Sqrt(bc2), eps = Options.Eps;
        for (int i = 0; i < _params.Length; i++)
        {
            var p = _params[i];
            var w = p.Value;
            var g = p.Grad!;
            var m = _m[i];
            var v = _v[i];
            float decay = Options.DecayVectors || p.Shape.Length >= 2 ? 1f - lr * Options.WeightDecay : 1f;
            for (int j = 0; j < w.Length; j++)
            {
                float gj = g[j];
                float mj = m[j] = b1 * m[j] + (1 - b1) * gj;
                float vj = v[j] = b2 * v[j] + (1 - b2) * gj * gj;
                w[j] = w[j] * decay - stepSize * mj / (MathF.Sqrt(vj) / bc2Sqrt + eps);
            }
        }
    }

    /// <summary>Moments and step count, for resuming (exp_avg.&lt;name&gt;, exp_avg_sq.&lt;name&gt;; step in the metadata).</summary>
    public void Save(string path)
    {
        var tensors = _params.SelectMany((p, i) => new[]
        {
            TensorData.F32("exp_avg." + p.Name, _m[i], p.Shape),
            TensorData.F32("exp_avg_sq." + p.Name, _v[i], p.Shape),
        });
        SafeTensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["step"] = Step.ToString(System.Globalization.CultureInfo.InvariantCulture) });
    }

    public void Load(string path)
    {
        using var f = SafeTensorsFile.Open(path);
        if (!f.Metadata.TryGetValue("step", out var s) || !int.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out int step))
            throw new QuantReasonException("optimizer state has no 'step' metadata", path);
        for (int i = 0; i < _params.Length; i++)
        {
            f.ReadF32("exp_avg." + _params[i].Name, _params[i].Shape).CopyTo(_m[i], 0);
            f.ReadF32("exp_avg_sq." + _params[i].Name, _params[i].Shape).CopyTo(_v[i], 0);
        }
        Step = step;
    }

    /// <summary>Scales all gradients so their global L2 norm is at most maxNorm (torch.nn.utils.clip_grad_norm_); returns the norm before clipping.</summary>
    public static float ClipGradNorm(IEnumerable<Parameter> parameters, float maxNorm)
    {
        var ps = parameters.Where(p => p.Trainable).ToArray();
        double sq = 0;
        foreach (var p in ps)
        {
            double s = 0;
            foreach (var g in p.Grad!) s += (double)g * g;
            sq += s;
        }
        float norm = (float)Math.Sqrt(sq);
        if (maxNorm > 0 && norm > maxNorm)
        {
            float c = maxNorm / (norm + 1e-6f);
            foreach (var p in ps) TensorPrimitives.Multiply(p.Grad!, c, p.Grad!);
        }
        return norm;
    }
}
