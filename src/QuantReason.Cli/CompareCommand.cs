using System.CommandLine;
using QuantReason.Evaluation;

namespace QuantReason.Cli;

/// <summary>
/// <c>quantreason compare RUNDIR... --baseline RUNDIR [--format md|csv|latex] [--out FILE]</c>: the paired table of
/// Score, Δ, Δ%, McNemar p and the bootstrap interval of Δ of each run against the baseline.
/// </summary>
public static class CompareCommand
{
    public static Command Create()
    {
        var runs = new Argument<string[]>("runs") { Description = "run directories to compare with the baseline", Arity = ArgumentArity.OneOrMore };
        var baseline = new Option<string>("--baseline") { Description = "the full-precision run directory", Required = true };
        var format = new Option<string>("--format") { Description = "md, csv or latex", DefaultValueFactory = _ => "md" };
        var output = new Option<string?>("--out") { Description = "write the table here instead of printing it" };
        var resamples = new Option<int>("--resamples") { Description = "bootstrap resamples", DefaultValueFactory = _ => Comparison.DefaultResamples };
        var seed = new Option<int>("--seed") { Description = "bootstrap seed", DefaultValueFactory = _ => 0 };
        var cmd = new Command("compare", "Paired comparison of runs against a baseline run (Score, Δ, Δ%, McNemar, bootstrap CI).")
            { runs, baseline, format, output, resamples, seed };
        cmd.SetAction(parse => Cli.Guard(parse, () =>
        {
            Func<IReadOnlyList<PairedComparison>, string> render = parse.GetValue(format)!.ToLowerInvariant() switch
            {
                "md" or "markdown" => Comparison.ToMarkdown,
                "csv" => Comparison.ToCsv,
                "latex" or "tex" => Comparison.ToLatex,
                var f => throw new QuantReasonException($"unknown format '{f}' (md, csv, latex)", "--format"),
            };
            if (parse.GetValue(resamples) < 1) throw new QuantReasonException("--resamples must be at least 1", "--resamples");
            var rows = Comparison.CompareRuns(parse.GetValue(baseline)!, parse.GetValue(runs)!, parse.GetValue(resamples), parse.GetValue(seed));
            var table = render(rows);
            if (parse.GetValue(output) is { } path)
            {
                File.WriteAllText(path, table);
                Cli.Out.WriteLine($"{rows.Count} comparisons written to {path}");
            }
            else Cli.Out.Write(table);
            return 0;
        }));
        return cmd;
    }
}
