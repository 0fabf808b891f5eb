using System.CommandLine;
using Microsoft.FSharp.Collections;
using Microsoft.FSharp.Core;
using QuantReason.Analysis;

namespace QuantReason.Cli;

/// <summary>`quantreason paper build --runs DIR... [--out paper]`: regenerates the paper's figures and tables.</summary>
public static class PaperCommand
{
    public static Command Create()
    {
        var runs = new Option<string[]>("--runs")
        {
            Description = "Run directories, or folders of run directories (one dataset per build)",
            Required = true,
            AllowMultipleArgumentsPerToken = true
        };
        var outDir = new Option<string>("--out") { Description = "Paper folder (figures/ and tables/ inside)", DefaultValueFactory = _ => "paper" };
        var processBench = new Option<string?>("--processbench") { Description = "ProcessBench folder for the real-chain survival figures" };
        var published = new Option<string?>("--published") { Description = "Published tables folder (default: data/published)" };
        var build = new Command("build", "Regenerate every figure (SVG, PNG) and table (LaTeX booktabs, Markdown), deterministically");
        build.Options.Add(runs);
        build.Options.Add(outDir);
        build.Options.Add(processBench);
        build.Options.Add(published);
        build.SetAction(parseResult =>
        {
            try
            {
                static FSharpOption<string> Opt(string? s) => s is null ? FSharpOption<string>.None : FSharpOption<string>.Some(s);
                var options = new PaperOptions(
                    ListModule.OfSeq(parseResult.GetValue(runs) ?? []),
                    parseResult.GetValue(outDir)!,
                    Opt(parseResult.GetValue(processBench)),
                    Opt(parseResult.GetValue(published)));
                var lazyExporter = new Lazy<ChartExporter>(ChartExporter.Create);
                var files = PaperBuild.build(lazyExporter, options);
                foreach (var f in files) Console.WriteLine(Path.GetRelativePath(Environment.CurrentDirectory, f));
                return 0;
            }
            catch (QuantReasonException ex)
            {
                Console.Error.WriteLine($"error: {ex.Message}");
                return 1;
            }
        });
        var paper = new Command("paper", "Publication figures and tables");
        paper.Subcommands.Add(build);
        return paper;
    }
}
