using QuantReason.Quantization.Model;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;
using QuantReason.Data.StepMath;

namespace QuantReason.Jobs;

/// <summary>A StepMath split generated for the study: <c>PerLevel</c> problems at each of the five levels.</summary>
public sealed record StepMathSet(StepMathSplit Split, int Seed, int PerLevel);

/// <summary>One configuration of the study: full precision (<c>Method</c> null), a quantization method with its settings
/// (and optionally its <see cref="Restore"/>ation), or quantization-aware training (<see cref="Qat"/>; <c>Method</c> is then
/// the init's PTQ method, null for none).</summary>
public sealed record StudyConfiguration(QuantMethod? Method, int? Bits, int? GroupSize, bool Sym, bool DescAct, RestoreSpec? Restore = null, QatSettings? Qat = null)
{
    /// <summary>The run's suffix: <c>fp</c>, <c>rtn-w4g32</c>, <c>smoothquant-w8a8</c>, <c>ptqtp-g32</c>, <c>qat-w2g32-gptq-kd-stepmath-s200</c>.</summary>
    public string Id(QuantizeOptions? o) => Qat is { } q ? q.Id(Bits!.Value, GroupSize!.Value) : o is null ? "fp" : o.Method switch
    {
        QuantMethod.SmoothQuant => "smoothquant-w8a8",
        QuantMethod.Ptqtp => $"ptqtp-g{o.GroupSize}",
        _ => $"{o.Method.ToString().ToLowerInvariant()}-w{o.Bits}g{(o.GroupSize < 0 ? "c" : o.GroupSize)}{(o.DescAct ? "-act" : "")}",
    };
}

/// <summary>
/// A degradation study as read from YAML (data/studies/stepmath.yaml): one model, one dataset and prompt, and the
/// configurations to quantize it into and evaluate. Relative paths resolve against the file's folder. Validated by
/// <see cref="Load"/>: unknown keys, unknown methods and missing fields are one error naming the file.
/// </summary>
public sealed record StudySpec
{
    public required string Path { get; init; }
    public required string Name { get; init; }
    public required string Model { get; init; }
    /// <summary>A generated StepMath split, or else <see cref="Dataset"/> (math500, math, gsm8k or a JSONL file).</summary>
    public StepMathSet? StepMath { get; init; }
    public string? Dataset { get; init; }
    public required string Prompt { get; init; }
    public int MaxNewTokens { get; init; }
    public int Batch { get; init; }
    public required CalibrationOptions Calibration { get; init; }
    public required IReadOnlyList<StudyConfiguration> Configurations { get; init; }
    /// <summary>Committed reference runs of this study (a folder of run directories) that a fresh run is compared with.</summary>
    public string? Reference { get; init; }
    /// <summary>Training settings shared by the QAT rows (<c>qat_training</c>).</summary>
    public QatHyperparameters QatTraining { get; init; } = new();

    /// <summary>The quantizer's options for a configuration (null for full precision), validated by the quantizer's rules.</summary>
    public QuantizeOptions? QuantizeOptionsFor(StudyConfiguration c) =>
        c.Qat is null && c.Method is { } m ? QuantizeOptions.Create(m, c.Bits, c.GroupSize, c.Sym, c.DescAct, Calibration) : null;

    public static StudySpec Load(string path)
    {
        if (!File.Exists(path)) throw new QuantReasonException("study file not found", path);
        Dto dto;
        try
        {
            dto = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build()
                .Deserialize<Dto>(File.ReadAllText(path)) ?? throw new QuantReasonException("empty study file", path);
        }
        catch (YamlException e)
        {
            throw new QuantReasonException($"line {e.Start.Line}: {(e.InnerException ?? e).Message}", path);
        }
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        string Resolve(string p) => System.IO.Path.GetFullPath(System.IO.Path.Combine(dir, p));
        string Required(string? v, string key) => string.IsNullOrWhiteSpace(v) ? throw new QuantReasonException($"missing '{key}'", path) : v;

        var d = dto.Dataset ?? throw new QuantReasonException("missing 'dataset'", path);
        if ((d.Stepmath is null) == (d.Name is null)) throw new QuantReasonException("dataset: give exactly one of 'stepmath' or 'name'", path);
        StepMathSet? stepmath = d.Stepmath is { } s
            ? new StepMathSet(StepMathSplits.Parse(Required(s.Split, "dataset.stepmath.split"), path), s.Seed,
                s.PerLevel > 0 ? s.PerLevel : throw new QuantReasonException($"dataset.stepmath.per_level must be positive, got {s.PerLevel}", path))
            : null;
        string? dataset = d.Name is { } n ? (n.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) ? Resolve(n) : n) : null;

        if (dto.Configurations is not { Count: > 0 }) throw new QuantReasonException("'configurations' lists no configuration", path);
        var configs = dto.Configurations.Select((c, i) =>
        {
            var method = Required(c.Method, $"configurations[{i}].method");
            if (method == "qat") return QatRow(c, $"{path}: configurations[{i}]");
            if (c.Init is not null || c.Objective is not null || c.Calibration is not null || c.Steps is not null)
                throw new QuantReasonException($"configurations[{i}]: init, objective, calibration and steps belong to method qat", path);
            QuantMethod? m;
            try { m = method == "fp" ? null : QuantizeOptions.ParseMethod(method); }
            catch (QuantReasonException e) { throw new QuantReasonException($"configurations[{i}]: {e.Message} (or fp)", path); }
            if (c.Restore is not null && m is null) throw new QuantReasonException($"configurations[{i}]: full precision has nothing to restore", path);
            return new StudyConfiguration(m, c.Bits, c.GroupSize, c.Sym, c.DescAct,
                c.Restore is { } r ? RestoreSpec.FromDto(r, $"configurations[{i}]", path) : null);
        }).ToList();
        var cal = dto.Calibration ?? new CalibrationDto();
        var spec = new StudySpec
        {
            Path = System.IO.Path.GetFullPath(path),
            Name = dto.Name ?? System.IO.Path.GetFileNameWithoutExtension(path),
            Model = Resolve(Required(dto.Model, "model")),
            StepMath = stepmath,
            Dataset = dataset,
            Prompt = Required(dto.Prompt, "prompt"),
            MaxNewTokens = dto.MaxNewTokens > 0 ? dto.MaxNewTokens : throw new QuantReasonException($"max_new_tokens must be positive, got {dto.MaxNewTokens}", path),
            Batch = dto.Batch > 0 ? dto.Batch : throw new QuantReasonException($"batch must be positive, got {dto.Batch}", path),
            Calibration = new CalibrationOptions(cal.Source is { } src && src.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) ? Resolve(src) : cal.Source ?? "stepmath",
                cal.Samples, cal.Length, cal.Seed, cal.ChatTemplate),
            Configurations = configs,
            Reference = dto.Reference is { } r ? Resolve(r) : null,
            QatTraining = dto.QatTraining is { } h ? new QatHyperparameters(h.Lr ?? 1e-3f, h.BatchSize ?? 64, h.MicroBatchSize ?? h.BatchSize ?? 64,
                h.Alpha ?? 1f, h.Temperature ?? 1f, h.LearnScales ?? true, h.DataSeed ?? 1, h.Seed ?? 0, h.CheckpointEvery ?? 50) : new(),
        };
        var ids = configs.Select(c => c.Id(spec.QuantizeOptionsFor(c))).ToList();
        foreach (var from in configs.SelectMany(c => c.Restore?.Pairs.From ?? []))
            if (from == "fp" || !ids.Contains(from))
                throw new QuantReasonException($"restore.pairs.from names '{from}', not a quantized configuration of the study ({string.Join(", ", ids.Where(x => x != "fp"))})", path);
        if (configs.Any(c => c.Restore is not null) && (!ids.Contains("fp") || stepmath is null))
            throw new QuantReasonException("restore needs a StepMath dataset and the fp configuration (pairs are FP-right / quantized-wrong)", path);
        return spec;
    }

    static StudyConfiguration QatRow(ConfigurationDto c, string where)
    {
        var q = new QatSettings(c.Init ?? throw new QuantReasonException("a qat row needs 'init' (gptq, awq, rtn or none)", where),
            c.Objective ?? "kd", c.Calibration ?? "stepmath", c.Steps ?? throw new QuantReasonException("a qat row needs 'steps'", where));
        q.Validate(where);
        if (c.Bits is null || c.GroupSize is null) throw new QuantReasonException("a qat row needs 'bits' and 'group_size'", where);
        return new StudyConfiguration(q.Init == "none" ? null : QuantizeOptions.ParseMethod(q.Init), c.Bits, c.GroupSize,
            c.Sym || q.Init == "none", c.DescAct, Qat: q);
    }

    sealed class Dto
    {
        public string? Name { get; set; }
        public string? Model { get; set; }
        public DatasetDto? Dataset { get; set; }
        public string? Prompt { get; set; }
        public int MaxNewTokens { get; set; } = 1024;
        public int Batch { get; set; } = 16;
        public CalibrationDto? Calibration { get; set; }
        public List<ConfigurationDto>? Configurations { get; set; }
        public string? Reference { get; set; }
        public QatTrainingDto? QatTraining { get; set; }
    }

    sealed class QatTrainingDto
    {
        public float? Lr { get; set; }
        public int? BatchSize { get; set; }
        public int? MicroBatchSize { get; set; }
        public float? Alpha { get; set; }
        public float? Temperature { get; set; }
        public bool? LearnScales { get; set; }
        public int? DataSeed { get; set; }
        public int? Seed { get; set; }
        public int? CheckpointEvery { get; set; }
    }

    sealed class DatasetDto
    {
        public StepMathDto? Stepmath { get; set; }
        public string? Name { get; set; }
    }

    sealed class StepMathDto
    {
        public string? Split { get; set; }
        public int Seed { get; set; }
        public int PerLevel { get; set; } = 300;
    }

    sealed class CalibrationDto
    {
        public string? Source { get; set; }
        public int Samples { get; set; } = 128;
        public int Length { get; set; } = 512;
        public ulong Seed { get; set; }
        public bool ChatTemplate { get; set; }
    }

    sealed class ConfigurationDto
    {
        public string? Method { get; set; }
        public int? Bits { get; set; }
        public int? GroupSize { get; set; }
        public bool Sym { get; set; }
        public bool DescAct { get; set; }
        public RestoreSpec.RestoreDto? Restore { get; set; }
        public string? Init { get; set; }
        public string? Objective { get; set; }
        public string? Calibration { get; set; }
        public int? Steps { get; set; }
    }
}
