using Spectre.Console;

namespace QuantReason.Cli;

/// <summary>
/// Renders an <see cref="IProgressSink"/> as a Spectre.Console progress bar whose description carries the status line
/// (running accuracy, loss, …). Where the console is not interactive (pipes, tests) work runs without a bar.
/// </summary>
sealed class SpectreProgress(ProgressContext context) : IProgressSink
{
    ProgressTask? _task;
    string _name = "";

    public void Start(string task, double total)
    {
        _name = Markup.Escape(task);
        _task = context.AddTask(_name, maxValue: Math.Max(total, 1));
    }

    public void Advance(double units, string? status = null)
    {
        if (_task is null) return;
        _task.Increment(units);
        if (status is not null) _task.Description = $"{_name} [grey]{Markup.Escape(status)}[/]";
    }

    public void Finish()
    {
        if (_task is null) return;
        _task.Value = _task.MaxValue;
        _task.StopTask();
    }

    /// <summary>Runs <paramref name="work"/> under a progress bar when the console can draw one.</summary>
    public static async Task<T> RunAsync<T>(Func<IProgressSink, Task<T>> work)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive || Console.IsOutputRedirected) return await work(NullProgress.Instance);
        T result = default!;
        await Bar().StartAsync(async ctx => result = await work(new SpectreProgress(ctx)));
        return result;
    }

    /// <summary>Synchronous <paramref name="work"/> under progress bars (one per <c>Start</c>, e.g. per layer), same rule.</summary>
    public static T Run<T>(Func<IProgressSink, T> work)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive || Console.IsOutputRedirected) return work(NullProgress.Instance);
        return Bar().Start(ctx => work(new SpectreProgress(ctx)));
    }

    static Progress Bar() => AnsiConsole.Progress()
        .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn());
}
