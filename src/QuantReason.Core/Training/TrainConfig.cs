using System.Globalization;
using System.Text.RegularExpressions;
using QuantReason.Models;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;
using QuantReason.Data.StepMath;

namespace QuantReason.Training;

/// <summary>Shape of a model trained from scratch (Llama layout; head_dim = hidden / heads).</summary>
public sealed record ModelShape(
    int HiddenSize, int Layers, int Heads, int KvHeads, int IntermediateSize, bool TieWordEmbeddings,
    double RopeTheta, double RmsNormEps, int MaxPositionEmbeddings, float InitStd);

/// <summary>Where training text comes from: generated StepMath problems, or a JSONL file with problem/solution.</summary>
public sealed record TrainData(string? StepMathSplit, int StepMathSeed, int StepMathCount, double WordFraction, string? JsonlPath,
    string Prompt, int MaxLength);

/// <param name="ModulesToSave">embed_tokens / lm_head trained whole beside the adapters (PEFT's modules_to_save); empty:
/// only the rows of new tokens train (trainable tokens).</param>
public sealed record LoraSection(int Rank, float Alpha, IReadOnlyList<string> Targets, int Seed, IReadOnlyList<string>? ModulesToSave = null);

public sealed record DpoSection(string PairsPath, float Beta);

/// <summary>Distillation: the teacher checkpoint (full precision) and the loss's α and temperature.</summary>
public sealed record DistillSection(string Teacher, DistillOptions Options);

/// <summary>Greedy evaluation of the trained model on a StepMath split, per level, at the end of training.</summary>
public sealed record EvalSection(string Split, int Seed, int ProblemsPerLevel, int MaxNewTokens);

/// <summary>
/// A training run as read from YAML (see data/models/stepmath-ref/train.yaml): model shape or base checkpoint, data,
/// optimizer and schedule, batch sizes, length in steps or target tokens, checkpoints, output, and the optional
/// LoRA / QLoRA / DPO / fake-quantization sections that map onto <see cref="TrainableModel"/> and <see cref="Trainer"/>.
/// Relative paths are resolved against the config file's folder. Validated once by <see cref="Load"/>.
/// </summary>
public sealed record TrainConfig
{
    public required string Path { get; init; }
    public ModelShape? Model { get; init; }
    /// <summary>An existing Hugging Face checkpoint to start from instead of a fresh model (needed by LoRA/QLoRA/DPO).</summary>
    public string? BaseModel { get; init; }
    public required TrainData Data { get; init; }
    public required TrainerOptions Trainer { get; init; }
    /// <summary>Non-padding target tokens to train on; when set, the step count is derived from the corpus.</summary>
    public long? TargetTokens { get; init; }
    public int? Threads { get; init; }
    public int CheckpointEvery { get; init; }
    public required string OutputDir { get; init; }
    public LoraSection? Lora { get; init; }
    /// <summary>QLoRA: the frozen base becomes int4 RTN with this group size (needs a lora section).</summary>
    public int? QloraGroupSize { get; init; }
    public DpoSection? Dpo { get; init; }
    public EvalSection? Eval { get; init; }
    /// <summary>RL after a cold start: GRPO on prompts of the data section, from base_model (see <see cref="GrpoOptions"/>).</summary>
    public GrpoOptions? Grpo { get; init; }
    /// <summary>Special tokens added to the base's tokenizer (e.g. step and answer tags); their rows grow and train.</summary>
    public IReadOnlyList<string> NewTokens { get; init; } = [];
    /// <summary>QAT from a PTQ checkpoint (GPTQ, AWQ or RTN): the student starts from its dequantized weights on its grid.</summary>
    public string? Init { get; init; }
    /// <summary>Train the init grid's scales too (LSQ); frozen otherwise.</summary>
    public bool LearnScales { get; init; }
    public DistillSection? Distill { get; init; }

    /// <summary>The HF config of a fresh model for a vocabulary, with its special token ids.</summary>
    public ModelConfig ModelConfigFor(int vocabSize, int bos, int eos, int pad)
    {
        var m = Model ?? throw new QuantReasonException("the config has no model section", Path);
        return new ModelConfig
        {
            Architecture = ArchitectureTraits.Of(ArchitectureKind.Llama),
            AttentionBias = false,
            TorchDType = Tensors.DType.F32,
            HiddenSize = m.HiddenSize,
            IntermediateSize = m.IntermediateSize,
            NumLayers = m.Layers,
            NumHeads = m.Heads,
            NumKvHeads = m.KvHeads,
            HeadDim = m.HiddenSize / m.Heads,
            VocabSize = vocabSize,
            RmsNormEps = m.RmsNormEps,
            MaxPositionEmbeddings = m.MaxPositionEmbeddings,
            TieWordEmbeddings = m.TieWordEmbeddings,
            Rope = new RopeScaling(RopeType.Default, m.RopeTheta),
            BosTokenId = bos,
            EosTokenIds = [eos],
            PadTokenId = pad,
        };
    }

    // ---- YAML ----------------------------------------------------------------------------------------------------

    sealed class Dto
    {
        public ModelDto? Model { get; set; }
        public string? BaseModel { get; set; }
        public DataDto? Data { get; set; }
        public OptimizerDto? Optimizer { get; set; }
        public ScheduleDto? Schedule { get; set; }
        public int? BatchSize { get; set; }
        public int? MicroBatchSize { get; set; }
        public int? Steps { get; set; }
        public long? TargetTokens { get; set; }
        public int? Seed { get; set; }
        public int? Threads { get; set; }
        public int? CheckpointEvery { get; set; }
        public string? OutputDir { get; set; }
        public LoraDto? Lora { get; set; }
        public QloraDto? Qlora { get; set; }
        public DpoDto? Dpo { get; set; }
        public FakeQuantDto? FakeQuant { get; set; }
        public SchemeDto? Activations { get; set; }
        public SchemeDto? KvCache { get; set; }
        public EvalDto? Eval { get; set; }
        public GrpoOptions.GrpoDto? Grpo { get; set; }
        public List<string>? NewTokens { get; set; }
        public string? Init { get; set; }
        public bool? LearnScales { get; set; }
        public DistillDto? Distill { get; set; }
    }

    sealed class DistillDto
    {
        public string? Teacher { get; set; }
        public float? Alpha { get; set; }
        public float? Temperature { get; set; }
    }

    sealed class ModelDto
    {
        public int? HiddenSize { get; set; }
        public int? NumHiddenLayers { get; set; }
        public int? NumAttentionHeads { get; set; }
        public int? NumKeyValueHeads { get; set; }
        public int? IntermediateSize { get; set; }
        public bool? TieWordEmbeddings { get; set; }
        public double? RopeTheta { get; set; }
        public double? RmsNormEps { get; set; }
        public int? MaxPositionEmbeddings { get; set; }
        public float? InitStd { get; set; }
    }

    sealed class DataDto
    {
        public StepMathDto? Stepmath { get; set; }
        public string? Jsonl { get; set; }
        public string? Prompt { get; set; }
        public int? MaxLength { get; set; }
    }

    sealed class StepMathDto
    {
        public string? Split { get; set; }
        public int? Seed { get; set; }
        public int? Count { get; set; }
        public double? WordFraction { get; set; }
    }

    sealed class OptimizerDto
    {
        public float? Lr { get; set; }
        public float? Beta1 { get; set; }
        public float? Beta2 { get; set; }
        public float? Eps { get; set; }
        public float? WeightDecay { get; set; }
        public float? ClipNorm { get; set; }
    }

    sealed class ScheduleDto
    {
        public int? WarmupSteps { get; set; }
        public float? MinLrRatio { get; set; }
    }

    sealed class LoraDto
    {
        public int? Rank { get; set; }
        public float? Alpha { get; set; }
        public List<string>? Targets { get; set; }
        public int? Seed { get; set; }
        public List<string>? ModulesToSave { get; set; }
    }

    sealed class QloraDto
    {
        public int? GroupSize { get; set; }
    }

    sealed class DpoDto
    {
        public string? Pairs { get; set; }
        public float? Beta { get; set; }
    }

    sealed class FakeQuantDto
    {
        public int? Bits { get; set; }
        public int? GroupSize { get; set; }
        public float? ClipRatio { get; set; }
    }

    /// <summary>activations / kv_cache: bits 4 or 8, group_size (0 or absent: one scale per token, resp. per head), clip_ratio.</summary>
    sealed class SchemeDto
    {
        public int? Bits { get; set; }
        public int? GroupSize { get; set; }
        public float? ClipRatio { get; set; }
    }

    sealed class EvalDto
    {
        public string? Split { get; set; }
        public int? Seed { get; set; }
        public int? ProblemsPerLevel { get; set; }
        public int? MaxNewTokens { get; set; }
    }

    static readonly Regex UnknownProperty = new("Property '([^']+)' not found on type '([^']+)'", RegexOptions.CultureInvariant);

    /// <summary>Reads and validates a training config; every problem is one error naming the file (and line or key).</summary>
    public static TrainConfig Load(string path, string? outputOverride = null)
    {
        if (!File.Exists(path)) throw new QuantReasonException("training config not found", path);
        path = System.IO.Path.GetFullPath(path);
        Dto dto;
        try
        {
            dto = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build()
                .Deserialize<Dto>(File.ReadAllText(path)) ?? throw new QuantReasonException("empty training config", path);
        }
        catch (YamlException e)
        {
            var where = $"{path}:{e.Start.Line}";
            for (Exception? x = e; x is not null; x = x.InnerException)
                if (UnknownProperty.Match(x.Message) is { Success: true } m)
                    throw new QuantReasonException($"unknown key '{m.Groups[1].Value}' in section {SectionOf(m.Groups[2].Value)}", where, e);
            var message = (e.InnerException ?? e).Message;
            throw new QuantReasonException($"malformed training config: {message}", where, e);
        }
        return FromDto(dto, path, outputOverride);
    }

    static string SectionOf(string dtoType)
    {
        var name = dtoType.Split('.', '+').Last();
        return name switch
        {
            "Dto" => "(top level)",
            "StepMathDto" => "data.stepmath",
            _ => Regex.Replace(name.Replace("Dto", ""), "(?<=[a-z])([A-Z])", "_$1").ToLowerInvariant(),
        };
    }

    static TrainConfig FromDto(Dto d, string path, string? outputOverride)
    {
        var dir = System.IO.Path.GetDirectoryName(path)!;
        string Resolve(string p) => System.IO.Path.GetFullPath(p, dir);
        QuantReasonException Bad(string message) => new(message, path);

        if (d.Model is not null && d.BaseModel is not null) throw Bad("give either 'model' (a fresh model) or 'base_model' (a checkpoint), not both");
        if (d.Model is not null && d.Init is not null) throw Bad("give either 'model' (a fresh model) or 'init' (a quantized checkpoint), not both");
        if (d.Model is null && d.BaseModel is null && d.Init is null)
            throw Bad("missing 'model' (the shape of a fresh model), 'base_model' (a checkpoint to start from) or 'init' (a quantized checkpoint)");
        ModelShape? shape = null;
        if (d.Model is { } m)
        {
            int Req(int? v, string key) => v ?? throw Bad($"missing model.{key}");
            shape = new ModelShape(Req(m.HiddenSize, "hidden_size"), Req(m.NumHiddenLayers, "num_hidden_layers"),
                Req(m.NumAttentionHeads, "num_attention_heads"), m.NumKeyValueHeads ?? Req(m.NumAttentionHeads, "num_attention_heads"),
                Req(m.IntermediateSize, "intermediate_size"), m.TieWordEmbeddings ?? true, m.RopeTheta ?? 10000, m.RmsNormEps ?? 1e-5,
                m.MaxPositionEmbeddings ?? 128, m.InitStd ?? 0.02f);
            if (shape.HiddenSize <= 0 || shape.Layers <= 0 || shape.IntermediateSize <= 0 || shape.Heads <= 0 || shape.KvHeads <= 0)
                throw Bad("model sizes (hidden_size, num_hidden_layers, intermediate_size, heads) must be positive");
            if (shape.HiddenSize % shape.Heads != 0)
                throw Bad($"model.hidden_size {shape.HiddenSize} is not divisible by model.num_attention_heads {shape.Heads}");
            if (shape.Heads % shape.KvHeads != 0)
                throw Bad($"model.num_attention_heads {shape.Heads} is not a multiple of model.num_key_value_heads {shape.KvHeads}");
            if (shape.HiddenSize / shape.Heads % 2 != 0)
                throw Bad($"head dimension {shape.HiddenSize / shape.Heads} (hidden_size / heads) must be even for rotary embeddings");
            if (!(shape.InitStd > 0)) throw Bad($"model.init_std must be positive, got {shape.InitStd}");
        }

        var data = d.Data ?? throw Bad("missing 'data'");
        if (d.Dpo is not null && (data.Stepmath is not null || data.Jsonl is not null))
            throw Bad("with a dpo section the pairs are the data: leave data.stepmath and data.jsonl out");
        if (d.Dpo is null && (data.Stepmath is null) == (data.Jsonl is null)) throw Bad("data needs exactly one of 'stepmath' or 'jsonl'");
        int maxLength = data.MaxLength ?? 96;
        if (maxLength < 8) throw Bad($"data.max_length must be at least 8, got {maxLength}");
        if (shape is not null && maxLength > shape.MaxPositionEmbeddings)
            throw Bad($"data.max_length {maxLength} exceeds model.max_position_embeddings {shape.MaxPositionEmbeddings}");
        var sm = data.Stepmath;
        if (sm is not null)
        {
            StepMathSplits.Parse(sm.Split ?? "train", $"{path}: data.stepmath.split");
            if (sm.Count is not > 0) throw Bad("data.stepmath.count must be positive");
        }
        var trainData = new TrainData(sm is null ? null : sm.Split ?? "train", sm?.Seed ?? 0, sm?.Count ?? 0, sm?.WordFraction ?? 0.3,
            data.Jsonl is null ? null : Resolve(data.Jsonl), data.Prompt ?? "step-tags", maxLength);

        var o = d.Optimizer ?? new OptimizerDto();
        var s = d.Schedule ?? new ScheduleDto();
        if (d.Steps is not null && d.TargetTokens is not null) throw Bad("give either 'steps' or 'target_tokens', not both");
        if (d.Steps is null && d.TargetTokens is null) throw Bad("missing 'steps' or 'target_tokens' (how long to train)");
        if (d.TargetTokens is <= 0) throw Bad($"target_tokens must be positive, got {d.TargetTokens}");
        FakeQuantOptions? fq = d.FakeQuant is { } f
            ? new FakeQuantOptions(f.Bits ?? throw Bad("missing fake_quant.bits"), f.GroupSize ?? 32, f.ClipRatio ?? 1f) : null;
        GrpoOptions? grpo = null;
        if (d.Grpo is not null)
        {
            grpo = GrpoOptions.FromDto(d.Grpo, path);
            if (d.BaseModel is null) throw Bad("grpo needs 'base_model' (the cold-start checkpoint the policy and the reference start from)");
            if (d.Lora is not null || d.Qlora is not null || d.Dpo is not null) throw Bad("grpo trains the full policy: leave out the lora, qlora and dpo sections");
            if (d.TargetTokens is not null) throw Bad("grpo runs a number of 'steps', not 'target_tokens'");
            if (d.BatchSize is not null) throw Bad("grpo's batch is grpo.prompts_per_step × grpo.group completions: leave out batch_size");
            int micro = d.MicroBatchSize ?? grpo.Completions;
            if (micro <= 0 || grpo.Completions % micro != 0)
                throw Bad($"micro_batch_size {micro} must divide the {grpo.Completions} completions of a step (prompts_per_step × group)");
        }
        if (d.LearnScales == true && d.Init is null) throw Bad("learn_scales trains the scales of an init checkpoint's grid: add 'init'");
        if (d.Init is not null && fq is not null) throw Bad("with 'init' the checkpoint's grid is the fake quantization: leave fake_quant out");
        if (d.Init is not null && (d.Lora is not null || d.Qlora is not null || d.Dpo is not null)) throw Bad("'init' (QAT) cannot be combined with lora, qlora or dpo");
        DistillSection? distill = d.Distill is { } ds
            ? new DistillSection(Resolve(ds.Teacher ?? throw Bad("missing distill.teacher (the full-precision model directory)")),
                new DistillOptions(ds.Alpha ?? 1f, ds.Temperature ?? 1f))
            : null;
        try { distill?.Options.Validate(); }
        catch (QuantReasonException e) { throw Bad(e.Message); }
        if (distill is not null && d.Dpo is not null) throw Bad("distill and dpo cannot be combined");
        Weights.ActivationScheme? Scheme(SchemeDto? dto, string key)
        {
            if (dto is null) return null;
            try { return new Weights.ActivationScheme(dto.Bits ?? throw Bad($"missing {key}.bits"), dto.GroupSize ?? 0, dto.ClipRatio ?? 1f).Validated(key); }
            catch (QuantReasonException e) when (e.Where == key) { throw Bad($"{key}: {e.Message.Substring(key.Length + 2)}"); }
        }
        var trainer = new TrainerOptions
        {
            Steps = d.Steps ?? 1, // replaced once the corpus tells how many steps the token budget takes
            BatchSize = grpo?.Completions ?? d.BatchSize ?? 256,
            MicroBatchSize = d.MicroBatchSize ?? grpo?.Completions ?? (d.Dpo is not null ? d.BatchSize ?? 256 : Math.Min(64, d.BatchSize ?? 256)),
            LearningRate = o.Lr ?? 3e-3f,
            WarmupSteps = s.WarmupSteps ?? 0,
            MinLrRatio = s.MinLrRatio ?? 0.1f,
            AdamW = new AdamWOptions(o.Beta1 ?? 0.9f, o.Beta2 ?? 0.95f, o.Eps ?? 1e-8f, o.WeightDecay ?? 0.1f),
            ClipNorm = o.ClipNorm ?? 1f,
            Seed = d.Seed ?? 0,
            FakeQuant = fq,
            Activations = Scheme(d.Activations, "activations"),
            KvCache = Scheme(d.KvCache, "kv_cache"),
            DpoBeta = d.Dpo is null ? null : d.Dpo.Beta ?? 0.1f,
            Distill = distill?.Options,
        };
        try { (trainer with { Steps = Math.Max(trainer.Steps, trainer.WarmupSteps) }).Validate(); }
        catch (QuantReasonException e) { throw Bad(e.Message); }
        if (d.Steps is { } steps && trainer.WarmupSteps > steps) throw Bad($"schedule.warmup_steps {trainer.WarmupSteps} exceeds steps {steps}");

        LoraSection? lora = d.Lora is { } l
            ? new LoraSection(l.Rank ?? throw Bad("missing lora.rank"), l.Alpha ?? 2f * l.Rank.Value,
                l.Targets ?? LayerWiring.LlamaFamily.Projections.Select(p => WeightNames.Module(p.Id)).ToList(), l.Seed ?? 0, l.ModulesToSave ?? [])
            : null;
        if (lora is not null)
        {
            try { new LoraOptions(lora.Rank, lora.Alpha, lora.Targets).Validate(); }
            catch (QuantReasonException e) { throw Bad(e.Message); }
        }
        foreach (var saved in lora?.ModulesToSave ?? [])
            if (saved is not (PeftAdapter.EmbedModule or PeftAdapter.HeadModule))
                throw Bad($"lora.modules_to_save names '{saved}': only {PeftAdapter.EmbedModule} and {PeftAdapter.HeadModule} train whole");
        if (d.NewTokens is { Count: > 0 } && d.BaseModel is null) throw Bad("new_tokens extends a pretrained tokenizer: it needs 'base_model'");
        if (d.NewTokens is { } nt && (nt.Any(string.IsNullOrEmpty) || nt.Distinct(StringComparer.Ordinal).Count() != nt.Count))
            throw Bad("new_tokens must list distinct non-empty tokens");
        if (d.Qlora is not null && lora is null) throw Bad("qlora needs a lora section (rank, alpha, targets)");
        if (d.Qlora?.GroupSize is <= 0) throw Bad($"qlora.group_size must be positive, got {d.Qlora.GroupSize}");
        if (lora is not null && d.BaseModel is null) throw Bad("lora needs 'base_model' (the checkpoint the adapters train on)");
        DpoSection? dpo = d.Dpo is { } p
            ? new DpoSection(Resolve(p.Pairs ?? throw Bad("missing dpo.pairs (a JSONL of prompt/chosen/rejected)")), p.Beta ?? 0.1f)
            : null;
        if (dpo is not null)
        {
            if (lora is null) throw Bad("dpo trains LoRA adapters against the frozen base: add a lora section");
            if (!(dpo.Beta > 0)) throw Bad($"dpo.beta must be positive, got {dpo.Beta}");
        }
        if (d.Threads is <= 0) throw Bad($"threads must be positive, got {d.Threads}");
        if (d.CheckpointEvery is < 0) throw Bad($"checkpoint_every must be ≥ 0, got {d.CheckpointEvery}");
        EvalSection? eval = d.Eval is { } e2
            ? new EvalSection(e2.Split ?? "test", e2.Seed ?? 0, e2.ProblemsPerLevel ?? 300, e2.MaxNewTokens ?? 128)
            : null;
        if (eval is not null)
        {
            StepMathSplits.Parse(eval.Split, $"{path}: eval.split");
            if (eval.ProblemsPerLevel <= 0 || eval.MaxNewTokens <= 0) throw Bad("eval.problems_per_level and eval.max_new_tokens must be positive");
        }
        var output = outputOverride is not null ? System.IO.Path.GetFullPath(outputOverride)
            : d.OutputDir is not null ? Resolve(d.OutputDir) : throw Bad("missing 'output_dir' (or pass --out)");

        return new TrainConfig
        {
            Path = path,
            Model = shape,
            BaseModel = d.BaseModel is null ? null : Resolve(d.BaseModel),
            Data = trainData,
            Trainer = trainer,
            TargetTokens = d.TargetTokens,
            Threads = d.Threads,
            CheckpointEvery = d.CheckpointEvery ?? 100,
            OutputDir = output,
            Lora = lora,
            QloraGroupSize = d.Qlora is null ? null : d.Qlora.GroupSize ?? 64,
            Dpo = dpo,
            Eval = eval,
            Grpo = grpo,
            NewTokens = d.NewTokens ?? [],
            Init = d.Init is null ? null : Resolve(d.Init),
            LearnScales = d.LearnScales ?? false,
            Distill = distill,
        };
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"TrainConfig({Path})");
}
