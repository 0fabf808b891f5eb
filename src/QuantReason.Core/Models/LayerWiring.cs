namespace QuantReason.Models;

/// <summary>The linear projections of a decoder layer.</summary>
public enum Projection { Q, K, V, O, Gate, Up, Down }

/// <summary>A configuration size a projection's shape is made of.</summary>
public enum LayerDim { Hidden, QDim, KvDim, Intermediate }

/// <summary>One projection of a layer: its shape [out, in] in configuration sizes, and whether its output feeds the
/// attention scores (q, k: their errors pass through softmax, which AutoAWQ's clip objective does not see).</summary>
public sealed record ProjectionSpec(Projection Id, LayerDim Out, LayerDim In, bool FeedsAttentionScores = false)
{
    /// <summary>The checkpoint name relative to a decoder layer (<see cref="WeightNames.Of"/>).</summary>
    public string Name => WeightNames.Of(Id);

    public (int Out, int In) Shape(ModelConfig cfg) => (Size(cfg, Out), Size(cfg, In));

    static int Size(ModelConfig cfg, LayerDim d) => d switch
    {
        LayerDim.Hidden => cfg.HiddenSize,
        LayerDim.QDim => cfg.QDim,
        LayerDim.KvDim => cfg.KvDim,
        _ => cfg.IntermediateSize,
    };
}

/// <summary>
/// Projections that read one input, and the op whose output that input is: an RMSNorm (<paramref name="Norm"/>, its
/// checkpoint name in the layer) or a projection the input is linear in (<paramref name="Previous"/>: o reads attention
/// outputs, linear in v per head; down reads silu(gate)·up, linear in up). <paramref name="RequiresMatchingShape"/>:
/// folding a scale into <paramref name="Previous"/> needs its outputs to be exactly these projections' inputs
/// (v → o holds for multi-head attention, not for grouped-query attention).
/// </summary>
public sealed record InputGroup(Projection[] Projections, string? Norm = null, Projection? Previous = null, bool RequiresMatchingShape = false)
{
    /// <summary>The projection the layer computes first from this input; observers and calibration key the input by it.</summary>
    public Projection First => Projections[0];
}

/// <summary>
/// How a decoder layer's linears are wired, as data: its projections in running order and the groups that share an
/// input, in the order the layer computes them. GPTQ's true-sequential stages, AWQ's and SmoothQuant's scaling groups,
/// the calibration observers and the loaders all derive from it (<see cref="ArchitectureTraits.Wiring"/>).
/// </summary>
public sealed class LayerWiring
{
    public IReadOnlyList<ProjectionSpec> Projections { get; }
    public IReadOnlyList<InputGroup> Groups { get; }

    public LayerWiring(IReadOnlyList<ProjectionSpec> projections, IReadOnlyList<InputGroup> groups)
    {
        Projections = projections;
        Groups = groups;
    }

    /// <summary>Llama, Qwen2 and Qwen3 share the decoder wiring (Qwen2's q/k/v biases and Qwen3's q/k norms act after
    /// the projections and change none of it).</summary>
    public static readonly LayerWiring LlamaFamily = new(
    [
        new(Projection.Q, LayerDim.QDim, LayerDim.Hidden, FeedsAttentionScores: true),
        new(Projection.K, LayerDim.KvDim, LayerDim.Hidden, FeedsAttentionScores: true),
        new(Projection.V, LayerDim.KvDim, LayerDim.Hidden),
        new(Projection.O, LayerDim.Hidden, LayerDim.QDim),
        new(Projection.Gate, LayerDim.Intermediate, LayerDim.Hidden),
        new(Projection.Up, LayerDim.Intermediate, LayerDim.Hidden),
        new(Projection.Down, LayerDim.Hidden, LayerDim.Intermediate),
    ],
    [
        new([Projection.Q, Projection.K, Projection.V], Norm: "input_layernorm"),
        new([Projection.O], Previous: Projection.V, RequiresMatchingShape: true),
        new([Projection.Gate, Projection.Up], Norm: "post_attention_layernorm"),
        new([Projection.Down], Previous: Projection.Up),
    ]);

    public ProjectionSpec this[Projection p] => Projections.FirstOrDefault(s => s.Id == p)
        ?? throw new ArgumentOutOfRangeException(nameof(p), p, "not a projection of this architecture");

    /// <summary>The group whose input <paramref name="p"/> reads.</summary>
    public InputGroup GroupOf(Projection p) => Groups.FirstOrDefault(g => g.Projections.Contains(p))
        ?? throw new ArgumentOutOfRangeException(nameof(p), p, "not a projection of this architecture");
}
