using System.Text.Json.Serialization;
using QuantReason.Evaluation.Equivalence;

namespace QuantReason.Evaluation.Runs;

/// <summary>One line of predictions.jsonl (data/schemas/run-directory.md): a sample, its extraction and its verdict.</summary>
public sealed record PredictionRecord
{
    [JsonPropertyName("problem_id")] public required string ProblemId { get; init; }
    [JsonPropertyName("sample")] public int Sample { get; init; }
    [JsonPropertyName("subject")] public string? Subject { get; init; }
    [JsonPropertyName("level")] public int? Level { get; init; }
    [JsonPropertyName("prompt")] public string Prompt { get; init; } = "";
    [JsonPropertyName("output")] public string Output { get; init; } = "";
    [JsonPropertyName("finish_reason")] public FinishReason FinishReason { get; init; }
    [JsonPropertyName("extracted")] public string? Extracted { get; init; }
    [JsonPropertyName("rule")] public ExtractionRule? Rule { get; init; }
    [JsonPropertyName("gold")] public required string Gold { get; init; }
    [JsonPropertyName("correct")] public bool Correct { get; init; }
    [JsonPropertyName("decided_by")] public Decision? DecidedBy { get; init; }
    [JsonPropertyName("tokens_in")] public int TokensIn { get; init; }
    [JsonPropertyName("tokens_out")] public int TokensOut { get; init; }
    [JsonPropertyName("latency_ms")] public double LatencyMs { get; init; }

    /// <summary>Extracts and grades <see cref="Output"/> afresh, so a re-grade after grader changes is one call.</summary>
    public PredictionRecord Regrade()
    {
        var extraction = AnswerExtractor.Extract(Output);
        var answer = extraction.Answer ?? Extracted;
        var verdict = AnswerGrading.GradeExtracted(Gold, new Extraction(answer, extraction.Rule)).Verdict;
        return this with
        {
            Extracted = answer,
            Rule = extraction.Answer is null ? Rule : extraction.Rule,
            Correct = verdict.Equivalent,
            DecidedBy = verdict.DecidedBy,
        };
    }
}
