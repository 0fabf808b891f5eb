using System.Text.Json;
using System.Text.Json.Nodes;
using QuantReason.Evaluation.Equivalence;
using QuantReason.Evaluation.Runs;
using QuantReason.Data;

namespace QuantReason.Evaluation;

/// <summary>Outcome of grading a pairs file: how many pairs, how many equivalent, and the lines skipped.</summary>
public sealed record PairGradingResult(int Total, int Equivalent, IReadOnlyList<string> Warnings);

/// <summary>
/// Checks the grader itself: every JSONL line with <c>gold</c> and <c>prediction</c> (and optionally <c>problem</c>) is
/// written back unchanged plus <c>verdict</c> (bool) and <c>decided_by</c> (the comparison that settled it). Both sides
/// go through <see cref="AnswerGrading"/>'s extraction step first (a sentence, <c>$…$</c> or <c>\boxed{}</c> on either
/// side), recorded as <c>gold_extracted</c>/<c>gold_rule</c> and <c>extracted</c>/<c>rule</c>; with
/// <c>extract: false</c> the two fields are compared as they stand.
/// </summary>
public static class PairGrading
{
    public static PairGradingResult Grade(string path, TextWriter output, bool strict = false, bool extract = true)
    {
        var read = JsonlReader.Read(path, strict);
        var warnings = new List<string>(read.Warnings);
        var total = 0;
        var equivalent = 0;
        foreach (var line in read.Lines)
        {
            var where = $"{path}:{line.Line}";
            var node = JsonNode.Parse(line.Value.GetRawText())!.AsObject();
            var gold = Field(node, "gold", where, required: true)!;
            var prediction = Field(node, "prediction", where, required: false);
            var graded = AnswerGrading.Grade(gold, prediction, extract);
            var verdict = graded.Verdict;
            if (extract)
            {
                node["gold_extracted"] = graded.Gold.Answer;
                node["gold_rule"] = graded.Gold.Rule?.Name();
                node["extracted"] = graded.Predicted.Answer;
                node["rule"] = graded.Predicted.Rule?.Name();
            }
            node["verdict"] = verdict.Equivalent;
            node["decided_by"] = JsonSerializer.SerializeToNode(verdict.DecidedBy);
            output.WriteLine(node.ToJsonString(RunJson.Line));
            total++;
            if (verdict.Equivalent) equivalent++;
        }
        return new PairGradingResult(total, equivalent, warnings);
    }

    static string? Field(JsonObject o, string name, string where, bool required)
    {
        if (!o.TryGetPropertyValue(name, out var v) || v is null)
            return required ? throw new QuantReasonException($"missing field '{name}'", where) : null;
        return v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.Number => v.ToJsonString(),
            _ => throw new QuantReasonException($"field '{name}' must be a string or number", where),
        };
    }
}
