using System.CommandLine;

namespace QuantReason.Cli;

/// <summary>The `quantreason` command tree; every verb is a thin adapter over Core and Analysis.</summary>
public static class Commands
{
    public static RootCommand Build()
    {
        var root = new RootCommand("QuantReason: measure, explain and repair how quantization damages math reasoning.");
        root.Subcommands.Add(NotebookCommand.Create());
        root.Subcommands.Add(PaperCommand.Create());
        return root;
    }

    public static int Run(string[] args) => Build().Parse(args).Invoke();
}
