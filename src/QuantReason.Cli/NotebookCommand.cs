using System.CommandLine;
using QuantReason.Analysis;

namespace QuantReason.Cli;

/// <summary>`quantreason notebook run FILE|DIR [--out DIR]`: executes notebooks headlessly in the Polyglot F# kernel (dotnet-repl).</summary>
public static class NotebookCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "A .ipynb notebook or a folder of them" };
        var outDir = new Option<string?>("--out")
        {
            Description = "Folder for the executed notebooks and their HTML exports (default: write outputs back into each notebook, HTML beside it)"
        };
        var run = new Command("run", "Run notebooks in the Polyglot F# kernel (dotnet-repl), writing the executed .ipynb and an HTML export; exit 1 if a cell fails");
        run.Arguments.Add(path);
        run.Options.Add(outDir);
        run.SetAction(parseResult =>
        {
            try
            {
                var failures = 0;
                foreach (var notebook in NotebookRunner.discover(parseResult.GetValue(path)!))
                {
                    var o = parseResult.GetValue(outDir);
                    var result = NotebookRunner.run(o is null ? null : Microsoft.FSharp.Core.FSharpOption<string>.Some(o), notebook);
                    if (result.FailedCell is { } failed)
                    {
                        failures++;
                        var error = result.Outputs[failed.Value].OfType<CellOutput.Error>().FirstOrDefault();
                        Console.Error.WriteLine($"error: {notebook}: cell {failed.Value + 1} failed: {error?.message.Split('\n')[0]}");
                    }
                    else
                    {
                        Console.WriteLine($"ok    {Path.GetFileName(notebook)}  {result.Seconds:0.0} s  -> {result.OutputHtml}");
                    }
                }
                return failures == 0 ? 0 : 1;
            }
            catch (QuantReasonException ex)
            {
                Console.Error.WriteLine($"error: {ex.Message}");
                return 1;
            }
        });
        var notebook = new Command("notebook", "Analysis notebooks");
        notebook.Subcommands.Add(run);
        return notebook;
    }
}
