using System.CommandLine;
using QuantReason.Evaluation;
using QuantReason.Evaluation.Runs;
using Spectre.Console;

namespace QuantReason.Cli;

/// <summary>
/// <c>quantreason grade --pairs FILE [--no-extract]</c> checks the grader on gold/prediction pairs (both sides extracted first); <c>quantreason grade --predictions
/// FILE</c> re-extracts and re-grades a run's predictions.jsonl and prints accuracy with Wilson intervals.
/// </summary>
public static class GradeCommand
{
    public static Command Create()
    {
        var pairs = new Option<FileInfo?>("--pairs") { Description = "JSONL of {gold, prediction[, problem]} to grade; both sides are first extracted as in eval (sentences, $…$, \\boxed{})" };
        var predictions = new Option<FileInfo?>("--predictions") { Description = "a run's predictions.jsonl to re-grade" };
        var output = new Option<FileInfo?>("--out")
        {
            Description = "where to write the graded lines (default: FILE.graded.jsonl for --pairs, FILE itself for --predictions)",
        };
        var strict = new Option<bool>("--strict") { Description = "fail on the first malformed line instead of skipping it" };
        var noExtract = new Option<bool>("--no-extract")
        {
            Description = "with --pairs: compare gold and prediction as written, without the answer-extraction step applied to both sides",
        };
        var cmd = new Command("grade", "Grade answer pairs or re-grade predictions with the equivalence grader.")
            { pairs, predictions, output, strict, noExtract };
        cmd.SetAction(parse => Guard(() =>
        {
            var p = parse.GetValue(pairs);
            var r = parse.GetValue(predictions);
            if ((p is null) == (r is null)) throw new QuantReasonException("give exactly one of --pairs FILE or --predictions FILE", "grade");
            return p is not null
                ? Pairs(p.FullName, parse.GetValue(output)?.FullName ?? Path.ChangeExtension(p.FullName, ".graded.jsonl"), parse.GetValue(strict),
                    !parse.GetValue(noExtract))
                : Predictions(r!.FullName, parse.GetValue(output)?.FullName ?? r.FullName, parse.GetValue(strict));
        }));
        return cmd;
    }

    static int Pairs(string input, string target, bool strict, bool extract)
    {
        var result = WriteThrough(target, writer => PairGrading.Grade(input, writer, strict, extract));
        foreach (var w in result.Warnings) Console.Error.WriteLine($"warning: {w}");
        AnsiConsole.MarkupLineInterpolated($"{result.Equivalent} of {result.Total} pairs equivalent; graded lines written to {target}");
        return 0;
    }

    static int Predictions(string input, string target, bool strict)
    {
        var warnings = new List<string>();
        var before = RunDirectory.ReadPredictions(input, warnings, strict);
        var after = before.Select(p => p.Regrade()).ToList();
        WriteThrough(target, writer =>
        {
            foreach (var p in after) writer.WriteLine(System.Text.Json.JsonSerializer.Serialize(p, RunJson.Line));
            return 0;
        });
        foreach (var w in warnings) Console.Error.WriteLine($"warning: {w}");
        var changed = before.Zip(after).Count(x => x.First.Correct != x.Second.Correct);
        var report = Scoring.Score(after);
        ScoreTable.Write(AnsiConsole.Console, report);
        AnsiConsole.MarkupLineInterpolated($"{after.Count} predictions re-graded, {changed} verdicts changed; written to {target}");
        return 0;
    }

    /// <summary>Writes through a temporary file so a failure never leaves a half-written target (which may be the input).</summary>
    static T WriteThrough<T>(string target, Func<StreamWriter, T> write)
    {
        var temp = target + ".tmp";
        try
        {
            T result;
            using (var writer = new StreamWriter(temp)) result = write(writer);
            File.Move(temp, target, overwrite: true);
            return result;
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    static int Guard(Func<int> body)
    {
        try { return body(); }
        catch (QuantReasonException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
