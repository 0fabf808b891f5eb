using QuantReason.Evaluation.Runs;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace QuantReason.Judging;

/// <summary>One case waiting for a person: why it is queued, the problem, the numbered steps, and every judge's vote.</summary>
public sealed record ReviewItem(
    [property: JsonPropertyName("problem_id")] string ProblemId,
    [property: JsonPropertyName("sample")] int Sample,
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("problem")] string Problem,
    [property: JsonPropertyName("steps")] IReadOnlyList<string> Steps,
    [property: JsonPropertyName("votes")] IReadOnlyList<JudgeVote> Votes,
    [property: JsonPropertyName("panel_step")] int? PanelStep,
    [property: JsonPropertyName("panel_type")] string? PanelType);

/// <summary>
/// review.jsonl beside labels.jsonl: conflicts and audited cases, one flushed line each (a case is queued once, so a
/// resumed run adds only new ones). <c>judge review</c> reads it and records verdicts as labels of labeller "human".
/// </summary>
public sealed class ReviewQueue
{
    public const string FileName = "review.jsonl";
    readonly Lock _lock = new();
    readonly HashSet<(string, int)> _queued;
    public string Path { get; }

    public ReviewQueue(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        _queued = Read(Path).Select(i => (i.ProblemId, i.Sample)).ToHashSet();
    }

    public void Add(ReviewItem item)
    {
        var line = JsonSerializer.Serialize(item, ErrorLabels.Json);
        lock (_lock)
        {
            if (!_queued.Add((item.ProblemId, item.Sample))) return;
            File.AppendAllText(Path, line + "\n");
        }
    }

    /// <summary>The queued cases; a torn last line (a killed run) is skipped, any other malformed line is an error naming file:line.</summary>
    public static IReadOnlyList<ReviewItem> Read(string path)
    {
        if (!File.Exists(path)) return [];
        var lines = File.ReadAllText(path).Split('\n');
        var items = new List<ReviewItem>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            try { items.Add(JsonSerializer.Deserialize<ReviewItem>(lines[i], ErrorLabels.Json) ?? throw new JsonException("null")); }
            catch (JsonException e) when (i == lines.Length - 1) { _ = e; } // unterminated last line: the line being written when killed
            catch (JsonException e) { throw new QuantReasonException($"invalid review line: {e.Message}", $"{path}:{i + 1}", e); }
        }
        return items;
    }
}
