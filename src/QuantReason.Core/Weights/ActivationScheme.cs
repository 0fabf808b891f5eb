using System.Globalization;
using System.Numerics.Tensors;
using System.Text.Json.Nodes;

namespace QuantReason.Weights;

/// <summary>
/// Dynamic symmetric integer quantization of activations, computed per token at run time (no calibrated ranges): each
/// row [width] splits into groups of <see cref="GroupSize"/> (the whole row when 0) and each group gets
/// s = ClipRatio·max|x|/MaxCode, q = clamp(round(x/s), −MaxCode, MaxCode), x̂ = s·q. The same definition serves linear
/// inputs (W4A4, W4A8) and the KV cache (a token's keys or values, in groups that never cross a head), in training
/// (fake quantization) and in the runtime, so both compute the same x̂.
/// </summary>
public sealed record ActivationScheme(int Bits, int GroupSize = 0, float ClipRatio = 1f)
{
    public static readonly int[] SupportedBits = [4, 8];

    /// <summary>Largest code: 7 for 4 bits, 127 for 8 (symmetric, so −8 / −128 are never used).</summary>
    public int MaxCode => (1 << (Bits - 1)) - 1;

    /// <summary>Short name: a4, a8g128, a4c0.9 (prefix "kv" for a cache scheme).</summary>
    public string Name(string prefix = "a") => string.Create(CultureInfo.InvariantCulture,
        $"{prefix}{Bits}{(GroupSize > 0 ? $"g{GroupSize}" : "")}{(ClipRatio < 1 ? $"c{ClipRatio}" : "")}");

    public override string ToString() => Name();

    public ActivationScheme Validated(string where)
    {
        if (!SupportedBits.Contains(Bits))
            throw new QuantReasonException($"activation quantization runs {string.Join(" or ", SupportedBits)} bits, got {Bits}", where);
        if (GroupSize < 0) throw new QuantReasonException($"activation group size must be ≥ 0 (0: one scale per token), got {GroupSize}", where);
        if (!(ClipRatio > 0 && ClipRatio <= 1)) throw new QuantReasonException($"activation clip ratio must be in (0, 1], got {ClipRatio}", where);
        return this;
    }

    /// <summary>Values per scale in a row of <paramref name="width"/>.</summary>
    public int GroupFor(int width) => GroupSize > 0 ? GroupSize : width;

    /// <summary>Refuses a layer whose input width the groups do not tile: the error names the layer.</summary>
    public void CheckWidth(int width, string layer)
    {
        if (GroupSize > 0 && width % GroupSize != 0)
            throw new QuantReasonException($"activation scheme {Name()} can't run here: input width {width} is not a multiple of its group size {GroupSize}", layer);
    }

    /// <summary>The scheme of a KV cache: groups within one head (the whole head when 0), so every head keeps its own scales.</summary>
    public ActivationScheme ForHeads(int headDim, string where)
    {
        int g = GroupFor(headDim);
        if (g > headDim || headDim % g != 0)
            throw new QuantReasonException($"KV-cache scheme {Name("kv")} can't run here: head_dim {headDim} is not a multiple of its group size {g}", where);
        return this with { GroupSize = g };
    }

    /// <summary>Scale of one group: ClipRatio·max|x|/MaxCode, 0 for an all-zero group (its codes are all 0).</summary>
    public float Scale(ReadOnlySpan<float> group) => ClipRatio * MathF.Abs(TensorPrimitives.MaxMagnitude(group)) / MaxCode;

    /// <summary>Code of x under scale s (0 when s is 0).</summary>
    public int Code(float x, float s) => s > 0 ? (int)Math.Clamp(MathF.Round(x / s), -MaxCode, MaxCode) : 0;

    /// <summary>Codes [width] and scales [width/group] of one row.</summary>
    public void Quantize(ReadOnlySpan<float> x, Span<sbyte> codes, Span<float> scales)
    {
        int g = GroupFor(x.Length);
        for (int j = 0, c0 = 0; c0 < x.Length; j++, c0 += g)
        {
            var grp = x.Slice(c0, Math.Min(g, x.Length - c0));
            float s = scales[j] = Scale(grp);
            for (int k = 0; k < grp.Length; k++) codes[c0 + k] = (sbyte)Code(grp[k], s);
        }
    }

    /// <summary>
    /// x̂ in place for <paramref name="rows"/> rows of <paramref name="width"/>. <paramref name="mask"/>, when not empty,
    /// receives the straight-through estimator's mask: 1 where round(x/s) lies inside the code range, 0 where the clamp
    /// cut it (only possible with ClipRatio &lt; 1). The scale's own dependence on x is not differentiated (as in LSQ-free
    /// dynamic QAT): it is a constant of the step.
    /// </summary>
    public void FakeQuantize(Span<float> x, int rows, int width, Span<float> mask = default)
    {
        int g = GroupFor(width);
        for (int r = 0; r < rows; r++)
            for (int c0 = 0; c0 < width; c0 += g)
            {
                int at = r * width + c0, n = Math.Min(g, width - c0);
                var grp = x.Slice(at, n);
                float s = Scale(grp);
                for (int k = 0; k < n; k++)
                {
                    if (!mask.IsEmpty) mask[at + k] = s > 0 && MathF.Abs(MathF.Round(grp[k] / s)) > MaxCode ? 0f : 1f;
                    grp[k] = s * Code(grp[k], s);
                }
            }
    }

    /// <summary>Parses a flag value: a4, a8, a4g32, a8g128c0.9 (prefix "kv" for the cache), or "none" for null.</summary>
    public static ActivationScheme? Parse(string text, string prefix, string where)
    {
        if (text.Equals("none", StringComparison.OrdinalIgnoreCase)) return null;
        var m = System.Text.RegularExpressions.Regex.Match(text, $"^{prefix}(\\d+)(?:g(\\d+))?(?:c([0-9.]+))?$");
        if (!m.Success)
            throw new QuantReasonException($"'{QuantReasonException.Quote(text)}' is not a scheme: expected none, {prefix}4, {prefix}8, {prefix}4g32 or {prefix}8g128c0.9", where);
        return new ActivationScheme(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture),
            m.Groups[2].Success ? int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) : 0,
            m.Groups[3].Success ? float.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) : 1f).Validated(where);
    }

    // quantization_config keys, in compressed-tensors' words: input_activations / kv_cache_scheme.
    public const string ActivationsKey = "input_activations", KvCacheKey = "kv_cache_scheme";

    /// <summary>The compressed-tensors style record: num_bits, strategy (token | group), group_size, symmetric, dynamic.</summary>
    public JsonObject ToJson() => new()
    {
        ["num_bits"] = Bits,
        ["type"] = "int",
        ["strategy"] = GroupSize > 0 ? "group" : "token",
        ["group_size"] = GroupSize > 0 ? GroupSize : null,
        ["symmetric"] = true,
        ["dynamic"] = true,
        ["clip_ratio"] = ClipRatio < 1 ? ClipRatio : null,
    };

    /// <summary>Records the schemes a checkpoint runs with in its quantization_config (null leaves the key out).</summary>
    public static void Record(JsonObject quantizationConfig, ActivationScheme? activations, ActivationScheme? kvCache)
    {
        if (activations is not null) quantizationConfig[ActivationsKey] = activations.ToJson();
        if (kvCache is not null) quantizationConfig[KvCacheKey] = kvCache.ToJson();
    }

    /// <summary>Reads <see cref="ToJson"/>'s record; only dynamic symmetric int schemes run here, anything else is refused.</summary>
    public static ActivationScheme? FromJson(JsonNode? node, string where)
    {
        if (node is null) return null;
        if (node is not JsonObject o) throw new QuantReasonException("expected an object (num_bits, strategy, group_size)", where);
        try
        {
            if (o["type"]?.GetValue<string>() is { } t && t != "int") throw new QuantReasonException($"type '{t}' is not supported (only int)", where);
            if (o["symmetric"]?.GetValue<bool>() == false) throw new QuantReasonException("asymmetric activations are not supported", where);
            if (o["dynamic"]?.GetValue<bool>() == false) throw new QuantReasonException("static activation ranges are not supported (only dynamic per token)", where);
            int bits = o["num_bits"]?.GetValue<int>() ?? throw new QuantReasonException("missing num_bits", where);
            string strategy = o["strategy"]?.GetValue<string>() ?? (o["group_size"] is null ? "token" : "group");
            int group = strategy switch
            {
                "token" => 0,
                "group" => o["group_size"]?.GetValue<int>() ?? throw new QuantReasonException("strategy group needs group_size", where),
                _ => throw new QuantReasonException($"strategy '{strategy}' is not supported (token or group)", where),
            };
            return new ActivationScheme(bits, group, o["clip_ratio"]?.GetValue<float>() ?? 1f).Validated(where);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new QuantReasonException($"malformed scheme: {e.Message}", where, e);
        }
    }
}
