using System.CommandLine;
using QuantReason.Evaluation;
using QuantReason.Evaluation.Imports;
using QuantReason.Evaluation.Runs;
using Spectre.Console;

namespace QuantReason.Cli;

/// <summary>
/// <c>quantreason eval import --format lm-eval|opencompass FILE --out RUNDIR [--dataset NAME|FILE]</c>: grades predictions
/// made by another tool with our extractor and grader into a run directory, so they are analysed and compared like ours.
/// </summary>
public static class ImportCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "lm-eval samples_TASK_DATE.jsonl, or OpenCompass predictions/MODEL/DATASET.json" };
        var format = new Option<string>("--format") { Description = "lm-eval or opencompass", Required = true };
        var output = new Option<string>("--out") { Description = "run directory to write", Required = true };
        var model = new Option<string?>("--model-name") { Description = "model name for the manifest (default: the file's folder)" };
        var dataset = new Option<string?>("--dataset") { Description = "take problems and gold answers from this dataset by index (math500, math, gsm8k or a JSONL file)" };
        var dataDir = new Option<string?>("--data-dir") { Description = "where named datasets live (default $QUANTREASON_DATA)" };
        var filter = new Option<string?>("--filter") { Description = "lm-eval filter to read (default: the first in the file)" };
        var strict = new Option<bool>("--strict") { Description = "fail on the first malformed line instead of skipping it" };
        var cmd = new Command("import", "Grade predictions from lm-evaluation-harness (--log_samples) or OpenCompass into a run directory.")
            { file, format, output, model, dataset, dataDir, filter, strict };
        cmd.SetAction(parse => Cli.Guard(parse, () =>
        {
            var job = new ImportJob
            {
                Format = ImportJob.ParseFormat(parse.GetValue(format)!),
                File = parse.GetValue(file)!,
                Out = parse.GetValue(output)!,
                ModelName = parse.GetValue(model),
                Dataset = parse.GetValue(dataset),
                DataDir = parse.GetValue(dataDir),
                Filter = parse.GetValue(filter),
                Strict = parse.GetValue(strict),
            };
            var warnings = new List<string>();
            var manifest = PredictionImport.Import(job, warnings);
            foreach (var w in warnings) Cli.Err.WriteLine($"warning: {w}");
            var console = ScoreTable.Console();
            ScoreTable.Write(console, Scoring.Score(RunDirectory.ReadRunPredictions(job.Out)));
            console.MarkupLineInterpolated($"{manifest.Counts.Completed} predictions of {manifest.Model.Name} imported and graded → {Path.GetFullPath(job.Out)}");
            return 0;
        }));
        return cmd;
    }
}
