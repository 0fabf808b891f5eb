using Spectre.Console;

namespace QuantReason.Cli;

/// <summary>Renders Core's <see cref="IProgressSink"/> as Spectre.Console progress bars: each <c>Start</c> adds a bar
/// (one per layer, per file, …), <c>Advance</c> moves it and shows the status beside its name.</summary>
public sealed class SpectreProgressSink(ProgressContext context) : IProgressSink
{
    ProgressTask? _task;
    string _name = "";

    /// <summary>Runs <paramref name="body"/> with bars drawn on stderr (stdout stays for results).</summary>
    public static T Run<T>(Func<IProgressSink, T> body)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Cli.Err) });
        return console.Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx => body(new SpectreProgressSink(ctx)));
    }

    public void Start(string task, double total)
    {
        Finish();
        _name = task;
        _task = context.AddTask(Markup.Escape(task), maxValue: Math.Max(total, 1e-9));
    }

    public void Advance(double units, string? status = null)
    {
        if (_task is null) return;
        _task.Increment(units);
        if (status is not null) _task.Description = Markup.Escape($"{_name} {status}");
    }

    public void Finish()
    {
        if (_task is null) return;
        _task.Description = Markup.Escape(_name);
        _task.Value = _task.MaxValue;
        _task.StopTask();
        _task = null;
    }
}
