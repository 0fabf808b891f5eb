namespace QuantReason;

/// <summary>
/// Long work reports progress through this one interface; the CLI renders it with Spectre.Console and tests ignore it.
/// </summary>
public interface IProgressSink
{
    /// <summary>Starts (or restarts) a task of <paramref name="total"/> units.</summary>
    void Start(string task, double total);

    /// <summary>Advances the current task by <paramref name="units"/>, with an optional status line (loss, accuracy, …).</summary>
    void Advance(double units, string? status = null);

    void Finish();
}

public sealed class NullProgress : IProgressSink
{
    public static readonly NullProgress Instance = new();
    public void Start(string task, double total) { }
    public void Advance(double units, string? status = null) { }
    public void Finish() { }
}
