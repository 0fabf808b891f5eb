using System.Text.Json.Serialization;

namespace QuantReason.Evaluation;

/// <summary>Which extraction rule produced an answer; written to predictions.jsonl as the snake_case names below.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ExtractionRule>))]
public enum ExtractionRule
{
    [JsonStringEnumMemberName("boxed")] Boxed,
    [JsonStringEnumMemberName("minerva")] Minerva,
    [JsonStringEnumMemberName("the_answer_is")] TheAnswerIs,
    [JsonStringEnumMemberName("gsm8k_hash")] Gsm8kHash,
    /// <summary>The text as a whole was already a clean answer (a gold field, a short prediction).</summary>
    [JsonStringEnumMemberName("whole")] Whole,
    [JsonStringEnumMemberName("last_math")] LastMath,
    [JsonStringEnumMemberName("last_number")] LastNumber,
}

public static class ExtractionRuleNames
{
    public static string Name(this ExtractionRule rule) => rule switch
    {
        ExtractionRule.Boxed => "boxed",
        ExtractionRule.Minerva => "minerva",
        ExtractionRule.TheAnswerIs => "the_answer_is",
        ExtractionRule.Gsm8kHash => "gsm8k_hash",
        ExtractionRule.Whole => "whole",
        ExtractionRule.LastMath => "last_math",
        ExtractionRule.LastNumber => "last_number",
        _ => throw new ArgumentOutOfRangeException(nameof(rule)),
    };
}

/// <summary>The extracted answer text and the rule that fired; both null when nothing could be extracted.</summary>
public sealed record Extraction(string? Answer, ExtractionRule? Rule)
{
    public static readonly Extraction None = new(null, null);
}
