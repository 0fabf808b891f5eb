using QuantReason.Evaluation;
using Spectre.Console;

namespace QuantReason.Cli;

/// <summary>Accuracy with Wilson intervals overall, by level and by subject, then pass@k / maj@k when samples were drawn.</summary>
static class ScoreTable
{
    public static void Write(IAnsiConsole console, ScoreReport report)
    {
        var table = new Table().AddColumns("group", "n", "correct", "accuracy", "95% Wilson");
        foreach (var c in new[] { report.Overall }.Concat(report.ByLevel).Concat(report.BySubject))
            table.AddRow(Markup.Escape(c.Group), $"{c.N}", $"{c.Correct}", $"{c.Accuracy:P2}", Markup.Escape($"[{c.Low:P1}, {c.High:P1}]"));
        console.Write(table);
        foreach (var s in report.Sampled)
            console.MarkupLineInterpolated($"k={s.K}: pass@k {s.PassAtK:P2}, maj@k {s.MajAtK:P2} over {s.Problems} problems");
    }

    /// <summary>A console bound to the current <see cref="Cli.Out"/>, so redirected output (tests, pipes) gets the tables.</summary>
    public static IAnsiConsole Console() => AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Cli.Out) });
}
