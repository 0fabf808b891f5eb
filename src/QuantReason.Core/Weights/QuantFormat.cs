using System.Text.Json.Serialization;
using QuantReason.Quantization;

namespace QuantReason.Weights;

/// <summary>How a format stores a weight matrix; each kind has its own packed layout and fused kernel.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<QuantKind>))]
public enum QuantKind
{
    /// <summary>N-bit integer codes per input group with an f32 scale and zero: w = s·(q − z).</summary>
    IntN,
    /// <summary>int8 per-output-channel weights, activations quantized per token at run time; int8×int8→int32 GEMM.</summary>
    W8A8,
    /// <summary>PTQTP: W ≈ α₁⊙T₁ + α₂⊙T₂ with T ∈ {−1,0,1} and per row-group α; GEMV by additions and subtractions.</summary>
    TritPlanes,
}

/// <summary>
/// One row of the weight-format traits table. Every format the toolkit can store is a row of <see cref="All"/>; tests and
/// the CLI loop over that table, so adding a format means adding a row (and, for a new kind, a codec and kernel).
/// </summary>
public sealed record QuantFormat(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("kind")] QuantKind Kind,
    [property: JsonPropertyName("bits")] int Bits,
    [property: JsonPropertyName("group_size")] int GroupSize,
    [property: JsonPropertyName("sym")] bool Symmetric)
{
    public static readonly int[] SupportedBits = [2, 3, 4, 8];
    public static readonly int[] SupportedGroupSizes = [-1, 32, 64, 128];

    /// <summary>Largest integer code, 2^bits − 1 (the reference quantizer's maxq).</summary>
    [JsonIgnore] public int MaxQ => (1 << Bits) - 1;

    [JsonIgnore] public bool PerChannel => GroupSize == -1;

    /// <summary>Input channels per group for a layer with <paramref name="inFeatures"/> inputs (−1 means the whole row).</summary>
    public int GroupLength(int inFeatures) => PerChannel ? inFeatures : GroupSize;

    public int Groups(int inFeatures) => inFeatures / GroupLength(inFeatures);

    /// <summary>Storage bits per weight including the per-group f32 scale (and zero when asymmetric).</summary>
    public double BitsPerWeight(int inFeatures) => Kind switch
    {
        QuantKind.TritPlanes => 4.0 + 2 * 32.0 / GroupLength(inFeatures), // two planes × (plus mask + minus mask), two α per group
        _ => Bits + (Symmetric ? 32.0 : 64.0) / GroupLength(inFeatures),
    };

    /// <summary>The whole table: int8 per channel; intN (N ∈ 2,3,4,8) sym/asym × group −1/32/64/128; W8A8; trit-planes.</summary>
    public static IReadOnlyList<QuantFormat> All { get; } = BuildTable();

    static List<QuantFormat> BuildTable()
    {
        var t = new List<QuantFormat> { new("int8", QuantKind.IntN, 8, -1, true) };
        foreach (var bits in SupportedBits)
            foreach (var sym in new[] { true, false })
                foreach (var g in SupportedGroupSizes)
                {
                    if (bits == 8 && sym && g == -1) continue; // that row is "int8" above
                    t.Add(new(IntName(bits, g, sym), QuantKind.IntN, bits, g, sym));
                }
        t.Add(new("w8a8", QuantKind.W8A8, 8, -1, true));
        foreach (var g in SupportedGroupSizes)
            t.Add(new(g == -1 ? "ptqtp" : $"ptqtp_g{g}", QuantKind.TritPlanes, 2, g, true));
        return t;
    }

    static string IntName(int bits, int g, bool sym) => $"q{bits}{(g == -1 ? "" : $"_g{g}")}{(sym ? "_sym" : "")}";

    /// <summary>Looks a format up by its table name (e.g. "q4_g128", "q4_g128_sym", "w8a8", "ptqtp_g128").</summary>
    public static QuantFormat Parse(string name) =>
        All.FirstOrDefault(f => f.Name == name)
        ?? throw new QuantReasonException($"unknown weight format '{name}'; known: {string.Join(", ", All.Select(f => f.Name))}", "format");

    /// <summary>The table row for an integer format, or an error naming the layer for an unsupported combination.</summary>
    public static QuantFormat Int(int bits, int groupSize, bool sym, string layer = "format")
    {
        if (bits == 8 && groupSize == -1 && sym) return All[0];
        return All.FirstOrDefault(f => f.Kind == QuantKind.IntN && f.Bits == bits && f.GroupSize == groupSize && f.Symmetric == sym)
            ?? throw new QuantReasonException(
                $"unsupported integer format: {bits} bits, group size {groupSize} (bits must be one of {string.Join("/", SupportedBits)}, group size one of {string.Join("/", SupportedGroupSizes)})",
                layer);
    }

    /// <summary>Validates a layer shape against this format once, at the public boundary.</summary>
    public void Validate(int outFeatures, int inFeatures, string layer)
    {
        if (outFeatures <= 0 || inFeatures <= 0)
            throw new QuantReasonException($"empty weight [{outFeatures}, {inFeatures}]", layer);
        if (!PerChannel && inFeatures % GroupSize != 0)
            throw new QuantReasonException($"group size {GroupSize} does not divide in_features {inFeatures}", layer);
        if (inFeatures % 8 != 0)
            throw new QuantReasonException($"in_features {inFeatures} must be a multiple of 8 for packed formats", layer);
    }

    public override string ToString() => Name;
}
