using System.CommandLine;
using System.Diagnostics;
using QuantReason.Evaluation.Runs;
using Spectre.Console;
using QuantReason.Data.StepMath;
using QuantReason.Jobs;
using QuantReason.Judging;

namespace QuantReason.Cli;

/// <summary><c>quantreason stepmath generate|verify</c>: the StepMath testbed's dataset and its first-error verifier.</summary>
public static class StepMathCommand
{
    public static Command Create()
    {
        var command = new Command("stepmath", "StepMath testbed: generate problem sets, verify step-tag solutions.");
        command.Subcommands.Add(Generate());
        command.Subcommands.Add(Verify());
        return command;
    }

    static Command Generate()
    {
        var split = new Option<string>("--split") { Description = "train, validation or test", Required = true };
        var n = new Option<int>("--n") { Description = "number of problems (levels 1-5 in turn)", Required = true };
        var seed = new Option<int>("--seed") { Description = "generator seed", DefaultValueFactory = _ => 0 };
        var output = new Option<FileInfo>("--out") { Description = "JSONL file to write", Required = true };
        var wordFraction = new Option<double>("--word-fraction") { Description = "share of word problems", DefaultValueFactory = _ => 0.3 };
        var maxTokens = new Option<int>("--max-tokens") { Description = "cap on prompt + solution tokens", DefaultValueFactory = _ => 94 };
        var cmd = new Command("generate", "Write a StepMath split as JSONL with MATH field names.") { split, n, seed, output, wordFraction, maxTokens };
        cmd.SetAction(parse => Guard(() =>
        {
            var s = StepMathSplits.Parse(parse.GetValue(split)!, "--split");
            var count = parse.GetValue(n);
            if (count <= 0) throw new QuantReasonException($"--n must be positive, got {count}", "--n");
            var options = new StepMathOptions { WordFraction = parse.GetValue(wordFraction), MaxTokens = parse.GetValue(maxTokens) };
            var generator = new StepMathGenerator(parse.GetValue(seed), options);
            var file = parse.GetValue(output)!;
            file.Directory?.Create();
            var console = Out();
            var report = new LengthReport();
            var subjects = new SortedDictionary<string, int>(StringComparer.Ordinal);
            var clock = Stopwatch.StartNew();
            // written beside the target and moved into place, so a failed run leaves no half file behind
            var partial = file.FullName + ".partial";
            try
            {
                using (var stream = new BufferedStream(File.Create(partial), 1 << 16))
                {
                    StepMathJsonl.Write(stream, generator.Generate(s, count).Select(item =>
                    {
                        report.Add(item);
                        subjects[item.Problem.Subject] = subjects.GetValueOrDefault(item.Problem.Subject) + 1;
                        return item;
                    }));
                }
                File.Move(partial, file.FullName, overwrite: true);
            }
            finally { File.Delete(partial); }
            clock.Stop();
            var table = new Table().AddColumns("level", "problems", "min", "median", "p95", "max", "≤ 96");
            foreach (var l in report.Levels())
                table.AddRow($"{l.Level}", $"{l.Count}", $"{l.Min}", $"{l.Median}", $"{l.P95}", $"{l.Max}", $"{l.ShareWithin96:P1}");
            console.Write(table);
            console.MarkupLineInterpolated($"subjects: {string.Join(", ", subjects.Select(kv => $"{kv.Key} {kv.Value}"))}");
            console.MarkupLineInterpolated($"wrote {count} {s.Name()} problems to {file.FullName} in {clock.Elapsed.TotalSeconds:F2} s");
            return 0;
        }));
        return cmd;
    }

    static Command Verify()
    {
        var predictions = new Option<FileInfo>("--predictions") { Description = "predictions.jsonl of a run", Required = true };
        var output = new Option<FileInfo?>("--out") { Description = "labels.jsonl to write (default: beside the predictions)" };
        var dataset = new Option<FileInfo?>("--dataset") { Description = "StepMath JSONL the run was evaluated on (default: regenerate ids)" };
        var seed = new Option<int>("--seed") { Description = "generator seed, when ids are regenerated", DefaultValueFactory = _ => 0 };
        var cmd = new Command("verify", "Label the first error of each StepMath prediction with the study's taxonomy.") { predictions, output, dataset, seed };
        cmd.SetAction(parse => Guard(() =>
        {
            var input = parse.GetValue(predictions)!;
            var labelsPath = parse.GetValue(output)?.FullName ?? Path.Combine(input.DirectoryName ?? ".", "labels.jsonl");
            var console = Out();
            var resolver = new ProblemResolver(parse.GetValue(dataset)?.FullName, parse.GetValue(seed));
            // predictions.jsonl of a run directory, labelled beside it: through the run (its schema checked, its lock held)
            var inRun = parse.GetValue(output) is null && input.Name == RunDirectory.PredictionsFile
                && File.Exists(Path.Combine(input.DirectoryName ?? ".", RunDirectory.ManifestFile));
            var labels = inRun
                ? RunLabeller.Label(input.DirectoryName!, resolver, Taxonomy.Default)
                : RunLabeller.Label(input.FullName, labelsPath, resolver, Taxonomy.Default);
            var table = new Table().AddColumns("category", "type (v2)", "type (v1)", "count", "share");
            foreach (var ((category, type, typeV1), count) in labels.ByType.OrderByDescending(kv => kv.Value))
                table.AddRow(Markup.Escape(category ?? "-"), Markup.Escape(type ?? Taxonomy.NoError), Markup.Escape(typeV1 ?? "-"),
                    $"{count}", $"{count / (double)labels.Total:P1}");
            console.Write(table);
            console.MarkupLineInterpolated($"labelled {labels.Total} predictions → {labelsPath}");
            return 0;
        }));
        return cmd;
    }

    // Bound to the current Console.Out on each use, so redirected output (tests, pipes) gets the tables.
    static IAnsiConsole Out() => AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });

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
