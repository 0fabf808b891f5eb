using System.Text.Json.Serialization;

namespace QuantReason.Jobs;

/// <summary>One line of a GRPO run's train-log.jsonl: the step's reward, accuracy and KL curves, and its timing.</summary>
public sealed record GrpoLogLine(
    [property: JsonPropertyName("step")] int Step,
    [property: JsonPropertyName("loss")] float Loss,
    [property: JsonPropertyName("reward")] double Reward,
    [property: JsonPropertyName("reward_std")] double RewardStd,
    [property: JsonPropertyName("accuracy")] double Accuracy,
    [property: JsonPropertyName("format")] double Format,
    [property: JsonPropertyName("kl")] float Kl,
    [property: JsonPropertyName("clip_fraction")] float ClipFraction,
    [property: JsonPropertyName("lr")] float LearningRate,
    [property: JsonPropertyName("grad_norm")] float GradNorm,
    [property: JsonPropertyName("completion_tokens")] int CompletionTokens,
    [property: JsonPropertyName("rollout_seconds")] double RolloutSeconds,
    [property: JsonPropertyName("rollout_tokens_per_s")] double RolloutTokensPerSecond,
    [property: JsonPropertyName("decode16_tokens_per_s")] double Decode16TokensPerSecond,
    [property: JsonPropertyName("seconds")] double Seconds,
    [property: JsonPropertyName("cpu_seconds")] double CpuSeconds);
