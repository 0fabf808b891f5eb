using QuantReason.Evaluation;
namespace QuantReason.Data.Datasets;

/// <summary>
/// One benchmark problem in the toolkit's own terms, whatever public schema it came from.
/// <see cref="Id"/> is the dataset's id (`unique_id`, `idx`, or the 0-based line index for GSM8K).
/// </summary>
public sealed record Problem(
    string Id,
    string Text,
    string Gold,
    string? Subject,
    int? Level,
    string? Solution);
