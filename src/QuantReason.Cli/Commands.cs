using System.CommandLine;

namespace QuantReason.Cli;

/// <summary>The `quantreason` command tree; every verb is a thin adapter over Core and Analysis.</summary>
public static class Commands
{
    public static RootCommand Build()
    {
        var root = new RootCommand("QuantReason: measure, explain and repair how quantization damages math reasoning.");
        root.Options.Add(Cli.Verbose);
        root.Options.Add(Cli.Threads);
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(GenerateCommand.Create());
        root.Subcommands.Add(StepMathCommand.Create());
        root.Subcommands.Add(DataCommand.Create());
        root.Subcommands.Add(GradeCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(ServeBenchCommand.Create());
        root.Subcommands.Add(CompareCommand.Create());
        root.Subcommands.Add(NotebookCommand.Create());
        root.Subcommands.Add(PaperCommand.Create());
        root.Subcommands.Add(ReportCommand.Create());
        root.Subcommands.Add(StudyCommand.Create());
        root.Subcommands.Add(QuantizeCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(PairsCommand.Create());
        root.Subcommands.Add(JudgeCommand.Create());
        return root;
    }

    public static int Run(string[] args)
    {
        var parse = Build().Parse(args);
        if (!Cli.TryUseThreads(parse, out var threads)) return 1;
        using (threads) return parse.Invoke();
    }

    /// <summary>Runs the CLI with its output captured (tests, notebooks).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        Cli.Redirect(output, error);
        try
        {
            var parse = Build().Parse(args);
            if (!Cli.TryUseThreads(parse, out var threads)) return 1;
            using (threads) return parse.Invoke(new InvocationConfiguration { Output = output, Error = error });
        }
        finally { Cli.Redirect(null, null); }
    }
}
