using System.Text.Json;

namespace QuantReason.Jobs;

/// <summary>A training run's train-log.jsonl, one JSON line per optimizer step, whatever the line's type.</summary>
public static class TrainLog
{
    /// <summary>Drops the lines past <paramref name="step"/> (written by a run killed between checkpoints) and any
    /// torn line, so a resumed run appends right after the step it resumed from.</summary>
    public static void KeepUpTo<T>(string path, int step, Func<T, int> stepOf)
    {
        if (!File.Exists(path)) return;
        var kept = File.ReadLines(path).Where(l => !string.IsNullOrWhiteSpace(l))
            .TakeWhile(l => { try { return (JsonSerializer.Deserialize<T>(l) is { } x ? stepOf(x) : int.MaxValue) <= step; } catch (JsonException) { return false; } })
            .ToList();
        File.WriteAllLines(path, kept);
    }

    public static IReadOnlyList<T> Read<T>(string path) =>
        File.ReadLines(path).Where(l => !string.IsNullOrWhiteSpace(l)).Select(l => JsonSerializer.Deserialize<T>(l)!).ToList();
}
