using System.Text.Json.Serialization;
using QuantReason.Data.Datasets;

namespace QuantReason.Evaluation.Runs;

/// <summary>manifest.json of a run directory (data/schemas/run-directory.md), schema version 1.</summary>
public sealed record RunManifest
{
    public const int CurrentSchemaVersion = 1;

    [JsonPropertyName("schema_version")] public int SchemaVersion { get; init; } = CurrentSchemaVersion;
    [JsonPropertyName("toolkit_version")] public string ToolkitVersion { get; init; } = Runs.ToolkitVersion.Current;
    [JsonPropertyName("created")] public DateTimeOffset Created { get; init; } = DateTimeOffset.UtcNow;
    [JsonPropertyName("run_id")] public required string RunId { get; init; }
    [JsonPropertyName("model")] public required ModelInfo Model { get; init; }
    [JsonPropertyName("quantization")] public QuantizationInfo? Quantization { get; init; }
    [JsonPropertyName("training")] public TrainingInfo? Training { get; init; }
    /// <summary>The PEFT adapter applied unmerged on top of the model, if any.</summary>
    [JsonPropertyName("adapter")] public AdapterInfo? Adapter { get; init; }
    [JsonPropertyName("dataset")] public required DatasetInfo Dataset { get; init; }
    [JsonPropertyName("prompt")] public required PromptInfo Prompt { get; init; }
    [JsonPropertyName("generation")] public required GenerationInfo Generation { get; init; }
    [JsonPropertyName("backend")] public required BackendInfo Backend { get; init; }
    [JsonPropertyName("tags")] public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
    [JsonPropertyName("status")] public RunStatus Status { get; init; } = RunStatus.Running;
    [JsonPropertyName("counts")] public RunCounts Counts { get; init; } = new(0, 0, 0, 0);
}

[JsonConverter(typeof(JsonStringEnumConverter<RunStatus>))]
public enum RunStatus
{
    [JsonStringEnumMemberName("running")] Running,
    [JsonStringEnumMemberName("complete")] Complete,
    [JsonStringEnumMemberName("interrupted")] Interrupted,
    /// <summary>Ended with requests that failed (counts.errors): those problems have no prediction yet; a rerun retries them.</summary>
    [JsonStringEnumMemberName("incomplete")] Incomplete,
}

public sealed record ModelInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("path")] string? Path,
    [property: JsonPropertyName("digest")] string? Digest,
    [property: JsonPropertyName("architecture")] string? Architecture,
    [property: JsonPropertyName("params")] long? Params);

public sealed record CalibrationInfo(
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("samples")] int Samples,
    [property: JsonPropertyName("seq_len")] int SeqLen,
    [property: JsonPropertyName("seed")] int Seed);

public sealed record QuantizationInfo(
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("bits")] int Bits,
    [property: JsonPropertyName("group_size")] int GroupSize,
    [property: JsonPropertyName("sym")] bool Sym,
    [property: JsonPropertyName("act_order")] bool ActOrder,
    [property: JsonPropertyName("calibration")] CalibrationInfo? Calibration);

public sealed record TrainingInfo(
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("subset")] string? Subset,
    [property: JsonPropertyName("pairs")] int? Pairs,
    [property: JsonPropertyName("seed")] int? Seed,
    [property: JsonPropertyName("stage"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Stage = null,
    [property: JsonPropertyName("init"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Init = null,
    [property: JsonPropertyName("objective"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Objective = null,
    [property: JsonPropertyName("calibration"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Calibration = null,
    [property: JsonPropertyName("steps"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Steps = null,
    [property: JsonPropertyName("hyperparameters"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, double>? Hyperparameters = null)
{
    /// <summary>Run id of the quantized configuration the model was restored from.</summary>
    [JsonPropertyName("base_run"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? BaseRun { get; init; }
    /// <summary>The preference pairs (relative to the run directory, <c>/</c>-separated) and their SHA-256.</summary>
    [JsonPropertyName("pairs_file"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? PairsFile { get; init; }
    [JsonPropertyName("pairs_sha256"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? PairsSha256 { get; init; }
}

/// <summary>A PEFT adapter folder (portable path) and the SHA-256 of its adapter_model.safetensors.</summary>
public sealed record AdapterInfo(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("digest")] string Digest);

public sealed record DatasetInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("path")] string? Path,
    [property: JsonPropertyName("digest")] string? Digest,
    [property: JsonPropertyName("size")] int Size);

public sealed record PromptInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("digest")] string? Digest);

public sealed record GenerationInfo(
    [property: JsonPropertyName("max_new_tokens")] int MaxNewTokens,
    [property: JsonPropertyName("temperature")] double Temperature,
    [property: JsonPropertyName("top_p")] double TopP,
    [property: JsonPropertyName("top_k")] int TopK,
    [property: JsonPropertyName("seed")] int Seed,
    [property: JsonPropertyName("samples")] int Samples);

public sealed record BackendInfo(
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("url")] string? Url,
    [property: JsonPropertyName("retries")] int Retries,
    [property: JsonPropertyName("timeouts")] int Timeouts);

public sealed record RunCounts(
    [property: JsonPropertyName("problems")] int Problems,
    [property: JsonPropertyName("completed")] int Completed,
    [property: JsonPropertyName("correct")] int Correct,
    [property: JsonPropertyName("errors")] int Errors);
