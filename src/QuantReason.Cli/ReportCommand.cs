using System.CommandLine;
using Microsoft.FSharp.Collections;
using QuantReason.Analysis;

namespace QuantReason.Cli;

/// <summary>`quantreason report --runs DIR... [--out report]`: the study as one static page, report/index.html.</summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var runs = new Option<string[]>("--runs")
        {
            Description = "Run directories, or folders of run directories (one dataset)",
            Required = true,
            AllowMultipleArgumentsPerToken = true
        };
        var outDir = new Option<string>("--out") { Description = "Report folder (index.html inside)", DefaultValueFactory = _ => "report" };
        var report = new Command("report", "Write report/index.html: degradation table, charts, and a per-problem browser with first errors highlighted (static, offline)");
        report.Options.Add(runs);
        report.Options.Add(outDir);
        report.SetAction(parseResult =>
        {
            try
            {
                var index = Report.write(new ReportOptions(ListModule.OfSeq(parseResult.GetValue(runs) ?? []), parseResult.GetValue(outDir)!));
                Console.WriteLine(Path.GetRelativePath(Environment.CurrentDirectory, index));
                return 0;
            }
            catch (QuantReasonException ex)
            {
                Console.Error.WriteLine($"error: {ex.Message}");
                return 1;
            }
        });
        return report;
    }
}
