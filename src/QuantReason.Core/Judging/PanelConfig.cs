using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace QuantReason.Judging;

/// <summary>How a judge is reached: an OpenAI-compatible endpoint, or the model-free step checker.</summary>
public enum JudgeKind { Endpoint, StepChecker }

/// <summary>
/// One judge of a panel, validated: its name (the labeller it writes as), endpoint URL and model, the API key read from
/// the environment variable the file names (never the key itself), sampling temperature, prompt template (placeholders
/// {problem}, {steps}, {num_steps}, {types}), requests in flight on its endpoint, per-attempt timeout, transport retries
/// and retries of a malformed reply before it abstains.
/// </summary>
public sealed record JudgeSpec(string Name, JudgeKind Kind, Uri? Url, string? Model, string? KeyVariable, string? ApiKey,
    double Temperature, string PromptTemplate, int Concurrency, TimeSpan Timeout, int Retries, int MalformedRetries, int MaxTokens);

/// <summary>
/// A judge panel read from YAML: N judges that vote, a baseline judge that settles ties and conflicts, the share of the
/// other cases sent to human review at random (the study's 2 % audit) and the seed of that draw.
/// <code>
/// name: panel
/// judges:
///   - { name: qwen, url: http://127.0.0.1:8000/v1, model: qwen2.5-72b, key_env: QWEN_KEY, temperature: 0 }
///   - { name: checker, kind: step-checker }
/// baseline: { name: r1, url: https://…, model: deepseek-r1, key_env: R1_KEY }
/// review_sample: 0.02
/// seed: 1
/// </code>
/// </summary>
public sealed record PanelConfig(string Name, IReadOnlyList<JudgeSpec> Judges, JudgeSpec? Baseline, double ReviewSample, int Seed)
{
    sealed class Dto
    {
        public string? Name { get; set; }
        public List<JudgeDto>? Judges { get; set; }
        public JudgeDto? Baseline { get; set; }
        public double? ReviewSample { get; set; }
        public int? Seed { get; set; }
    }

    sealed class JudgeDto
    {
        public string? Name { get; set; }
        public string? Kind { get; set; }
        public string? Url { get; set; }
        public string? Model { get; set; }
        public string? KeyEnv { get; set; }
        public double? Temperature { get; set; }
        public string? Prompt { get; set; }
        public string? PromptFile { get; set; }
        public int? Concurrency { get; set; }
        public double? TimeoutS { get; set; }
        public int? Retries { get; set; }
        public int? MalformedRetries { get; set; }
        public int? MaxTokens { get; set; }
    }

    /// <summary>Loads and validates a panel file; <paramref name="environment"/> resolves key variables (default: the process environment).</summary>
    public static PanelConfig Load(string path, Func<string, string?>? environment = null)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new QuantReasonException("panel file not found", full);
        Dto dto;
        try
        {
            dto = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build()
                .Deserialize<Dto>(File.ReadAllText(full)) ?? throw new QuantReasonException("empty panel file", full);
        }
        catch (YamlException e)
        {
            throw new QuantReasonException($"malformed panel file: {(e.InnerException ?? e).Message}", $"{full}:{e.Start.Line}", e);
        }
        environment ??= Environment.GetEnvironmentVariable;
        if (dto.Judges is not { Count: > 0 }) throw new QuantReasonException("panel names no judges (a 'judges:' list)", full);
        var judges = dto.Judges.Select((j, i) => Judge(j, $"{full}: judges[{i}]", Path.GetDirectoryName(full)!, environment)).ToList();
        var baseline = dto.Baseline is null ? null : Judge(dto.Baseline, $"{full}: baseline", Path.GetDirectoryName(full)!, environment);
        var names = judges.Select(j => j.Name).Concat(baseline is null ? [] : [baseline.Name]).ToList();
        if (names.GroupBy(n => n).FirstOrDefault(g => g.Count() > 1) is { } dup)
            throw new QuantReasonException($"judge name '{dup.Key}' is used twice (names are the labellers in labels.jsonl)", full);
        var sample = dto.ReviewSample ?? 0.02;
        if (sample is < 0 or > 1) throw new QuantReasonException($"review_sample must be in 0..1, got {sample}", full);
        var name = dto.Name ?? "panel";
        if (names.Contains(name)) throw new QuantReasonException($"panel name '{name}' is also a judge's name", full);
        return new PanelConfig(name, judges, baseline, sample, dto.Seed ?? 1);
    }

    /// <summary>The step checker alone as a one-member panel.</summary>
    public static PanelConfig StepCheckerOnly() =>
        new(StepChecker.Name, [new JudgeSpec(StepChecker.Name, JudgeKind.StepChecker, null, null, null, null, 0, "", 1, TimeSpan.Zero, 0, 0, 0)], null, 0, 1);

    static JudgeSpec Judge(JudgeDto j, string where, string folder, Func<string, string?> environment)
    {
        var name = j.Name ?? throw new QuantReasonException("judge has no name", where);
        where = $"{where} ('{name}')";
        var kind = j.Kind switch
        {
            null or "endpoint" => JudgeKind.Endpoint,
            "step-checker" => JudgeKind.StepChecker,
            _ => throw new QuantReasonException($"unknown judge kind '{j.Kind}' (endpoint or step-checker)", where),
        };
        if (kind == JudgeKind.StepChecker)
            return new JudgeSpec(name, kind, null, null, null, null, 0, "", 1, TimeSpan.Zero, 0, 0, 0);
        if (j.Url is null || !Uri.TryCreate(j.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            throw new QuantReasonException($"judge needs an absolute http(s) 'url', got '{j.Url}'", where);
        string? key = null;
        if (j.KeyEnv is { } variable)
        {
            key = environment(variable);
            if (string.IsNullOrEmpty(key))
                throw new QuantReasonException($"key variable '{variable}' is not set (export it, or drop key_env for a local server)", where);
        }
        if (j.Prompt is not null && j.PromptFile is not null) throw new QuantReasonException("give prompt or prompt_file, not both", where);
        var template = j.Prompt ?? (j.PromptFile is { } file ? ReadTemplate(Path.Combine(folder, file), where) : JudgePrompt.DefaultTemplate);
        JudgePrompt.Validate(template, where);
        var temperature = j.Temperature ?? 0;
        if (temperature is < 0 or > 2) throw new QuantReasonException($"temperature must be in 0..2, got {temperature}", where);
        var concurrency = j.Concurrency ?? 8;
        if (concurrency < 1) throw new QuantReasonException($"concurrency must be at least 1, got {concurrency}", where);
        var timeout = j.TimeoutS ?? 300;
        if (timeout <= 0) throw new QuantReasonException($"timeout_s must be positive, got {timeout}", where);
        var retries = j.Retries ?? 3;
        var malformed = j.MalformedRetries ?? 2;
        if (retries < 0 || malformed < 0) throw new QuantReasonException("retries and malformed_retries must be ≥ 0", where);
        var maxTokens = j.MaxTokens ?? 1024;
        if (maxTokens < 1) throw new QuantReasonException($"max_tokens must be at least 1, got {maxTokens}", where);
        return new JudgeSpec(name, kind, url, j.Model, j.KeyEnv, key, temperature, template, concurrency, TimeSpan.FromSeconds(timeout), retries, malformed, maxTokens);
    }

    static string ReadTemplate(string path, string where) =>
        File.Exists(path) ? File.ReadAllText(path) : throw new QuantReasonException($"prompt_file not found: {path}", where);
}
