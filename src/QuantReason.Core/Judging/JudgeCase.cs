using System.Text.Json.Serialization;
using QuantReason.Data.StepMath;

namespace QuantReason.Judging;

/// <summary>One solution to judge: the problem, the solution cut into steps, and where its label goes.</summary>
public sealed record JudgeCase(string ProblemId, int Sample, string Problem, IReadOnlyList<string> Steps, string? Gold = null, bool? Correct = null)
{
    public static JudgeCase Of(ProcessBenchItem item) => new(item.Id, 0, item.Problem, item.Steps);

    sealed record Line(
        [property: JsonPropertyName("problem_id")] string ProblemId,
        [property: JsonPropertyName("sample")] int Sample,
        [property: JsonPropertyName("prompt")] string? Prompt,
        [property: JsonPropertyName("output")] string Output,
        [property: JsonPropertyName("gold")] string? Gold,
        [property: JsonPropertyName("correct")] bool? Correct);

    /// <summary>
    /// The solutions of a run directory (its predictions.jsonl), each segmented into steps; <paramref name="failuresOnly"/>
    /// keeps those the grader marked wrong, the ones the study's error analysis reads.
    /// </summary>
    public static IReadOnlyList<JudgeCase> FromRun(string runDirectory, bool failuresOnly)
    {
        var dir = Path.GetFullPath(runDirectory);
        if (!Directory.Exists(dir)) throw new QuantReasonException("run directory does not exist", dir);
        var predictions = Path.Combine(dir, "predictions.jsonl");
        if (!File.Exists(predictions)) throw new QuantReasonException("run directory has no predictions.jsonl", dir);
        return JsonLines.Read<Line>(predictions, "predictions", p => p.ProblemId is null ? "problem_id" : p.Output is null ? "output" : null)
            .Select(r => r.Record)
            .Where(p => !failuresOnly || p.Correct == false)
            .Select(p => new JudgeCase(p.ProblemId, p.Sample, p.Prompt ?? "", StepSegmenter.Segment(p.Output).Steps, p.Gold, p.Correct))
            .ToList();
    }
}
