using System.Globalization;

namespace QuantReason.Jobs;

/// <summary>Format alignment: LoRA SFT over the quantized model on reference solutions of <c>Problems</c> training-split
/// problems (the step-tag format), one cosine schedule over <c>Epochs</c>.</summary>
public sealed record AlignOptions(int Problems = 1000, int Epochs = 1, float Lr = 1e-3f, int Rank = 32, float Alpha = 64, int Batch = 16,
    float WarmupRatio = 0.03f, int Seed = 0);

/// <summary>DPO over the aligned model (sigmoid loss, the aligned model as reference): the study's defaults
/// (β 0.1, LoRA rank 32, cosine, warm-up ratio 0.1, batch 8, 3 epochs); <c>RpoAlpha</c> &gt; 0 adds the chosen answers' NLL (RPO).</summary>
public sealed record DpoOptions(float Beta = 0.1f, int Rank = 32, float Alpha = 64, float Lr = 5e-5f, int Epochs = 3, int Batch = 8,
    float WarmupRatio = 0.1f, int Seed = 0, float RpoAlpha = 0);

/// <summary>Where the pairs come from: full precision and the <c>From</c> configurations evaluated on a StepMath training
/// split (<c>PerLevel</c> problems per level, <c>Seed</c>), at most <c>N</c> pairs.</summary>
public sealed record PairSource(int N, IReadOnlyList<string> From, int Seed, int PerLevel);

/// <summary>A configuration's restoration: align, then one DPO run per error-type subset, each evaluated like every configuration.</summary>
public sealed record RestoreSpec(AlignOptions Align, PairSource Pairs, DpoOptions Dpo, IReadOnlyList<string> Subsets)
{
    /// <summary>The hyper-parameters a manifest records for a stage.</summary>
    public static IReadOnlyDictionary<string, double> Hyperparameters(object options) =>
        // f32 settings as the decimals the study file gave (0.1, not 0.10000000149011612)
        options.GetType().GetProperties().ToDictionary(p => Snake(p.Name),
            p => double.Parse(Convert.ToString(p.GetValue(options), CultureInfo.InvariantCulture)!, CultureInfo.InvariantCulture));

    static string Snake(string name) => string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    internal static RestoreSpec FromDto(RestoreDto d, string where, string file)
    {
        QuantReasonException Bad(string m) => new($"{where}.restore: {m}", file);
        var a = d.Align ?? new AlignDto();
        var align = new AlignOptions(a.Problems, a.Epochs, a.Lr, a.Rank, a.Alpha ?? 2f * a.Rank, a.Batch, a.WarmupRatio, a.Seed);
        if (align.Problems < 1 || align.Epochs < 1 || align.Rank < 1 || align.Batch < 1 || !(align.Lr > 0) || !(align.Alpha > 0))
            throw Bad("align.problems, epochs, rank, batch, lr and alpha must be positive");
        var p = d.Pairs ?? throw Bad("missing 'pairs' (n, from: the configurations whose training-split failures become rejected answers)");
        if (p.From is not { Count: > 0 }) throw Bad("pairs.from lists no configuration");
        if (p.N < 1) throw Bad($"pairs.n must be at least 1, got {p.N}");
        if (p.PerLevel < 1) throw Bad($"pairs.per_level must be positive, got {p.PerLevel}");
        var o = d.Dpo ?? new DpoDto();
        var dpo = new DpoOptions(o.Beta, o.Rank, o.Alpha ?? 2f * o.Rank, o.Lr, o.Epochs, o.Batch, o.WarmupRatio, o.Seed, o.RpoAlpha);
        if (!(dpo.RpoAlpha >= 0)) throw Bad($"dpo.rpo_alpha must be ≥ 0, got {dpo.RpoAlpha}");
        if (!(dpo.Beta > 0) || dpo.Rank < 1 || !(dpo.Lr > 0) || dpo.Epochs < 1 || dpo.Batch < 1 || !(dpo.Alpha > 0))
            throw Bad("dpo.beta, rank, alpha, lr, epochs and batch must be positive");
        if (dpo.WarmupRatio is < 0 or >= 1 || align.WarmupRatio is < 0 or >= 1) throw Bad("warmup_ratio must be in [0, 1)");
        var subsets = d.Subsets is { Count: > 0 } s ? s : [PairOptions.All];
        foreach (var subset in subsets)
        {
            try { new PairOptions(p.N, p.Seed, subset).Validate(Judging.Taxonomy.Default); }
            catch (QuantReasonException e) { throw Bad(e.Message); }
        }
        if (subsets.Distinct().Count() != subsets.Count) throw Bad("subsets lists a subset twice");
        return new RestoreSpec(align, new PairSource(p.N, p.From, p.Seed, p.PerLevel), dpo, subsets);
    }

    internal sealed class RestoreDto
    {
        public AlignDto? Align { get; set; }
        public PairsDto? Pairs { get; set; }
        public DpoDto? Dpo { get; set; }
        public List<string>? Subsets { get; set; }
    }

    internal sealed class AlignDto
    {
        public int Problems { get; set; } = 1000;
        public int Epochs { get; set; } = 1;
        public float Lr { get; set; } = 1e-3f;
        public int Rank { get; set; } = 32;
        public float? Alpha { get; set; }
        public int Batch { get; set; } = 16;
        public float WarmupRatio { get; set; } = 0.03f;
        public int Seed { get; set; }
    }

    internal sealed class PairsDto
    {
        public int N { get; set; } = 545;
        public List<string>? From { get; set; }
        public int Seed { get; set; } = 1;
        public int PerLevel { get; set; } = 300;
    }

    internal sealed class DpoDto
    {
        public float Beta { get; set; } = 0.1f;
        public int Rank { get; set; } = 32;
        public float? Alpha { get; set; }
        public float Lr { get; set; } = 5e-5f;
        public int Epochs { get; set; } = 3;
        public int Batch { get; set; } = 8;
        public float WarmupRatio { get; set; } = 0.1f;
        public int Seed { get; set; }
        public float RpoAlpha { get; set; }
    }
}
