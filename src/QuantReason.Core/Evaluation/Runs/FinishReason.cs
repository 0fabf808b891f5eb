using System.Text.Json.Serialization;

namespace QuantReason.Evaluation.Runs;

/// <summary>Why generation stopped; <see cref="Length"/> marks an output truncated at max new tokens.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FinishReason>))]
public enum FinishReason
{
    [JsonStringEnumMemberName("stop")] Stop,
    [JsonStringEnumMemberName("length")] Length,
    [JsonStringEnumMemberName("error")] Error,
}
