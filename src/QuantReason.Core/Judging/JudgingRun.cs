using QuantReason.Evaluation.Runs;
namespace QuantReason.Judging;

/// <summary>What one judging pass did, and each judge's usage.</summary>
public sealed record JudgingSummary(int Cases, int AlreadyLabelled, int Labelled, int Unlabelled, int Conflicts, int Queued,
    IReadOnlyList<(string Judge, JudgeUsage Usage)> Usage, TimeSpan Elapsed);

/// <summary>
/// Judges a list of cases with a panel, several cases at once, writing each judge's label and then the panel's through
/// the <see cref="LabelsWriter"/> as soon as a case is decided. A case whose panel label is on file is skipped, and
/// votes already on file are reused, so a killed run resumed writes what an uninterrupted one would have.
/// </summary>
public static class JudgingRun
{
    public static async Task<JudgingSummary> RunAsync(JudgePanel panel, IReadOnlyList<JudgeCase> cases, LabelsWriter labels, ReviewQueue? review,
        int parallelCases = 16, Action<int>? progress = null, CancellationToken cancel = default)
    {
        var start = System.Diagnostics.Stopwatch.StartNew();
        var known = labels.Existing.GroupBy(l => (l.ProblemId, l.Sample))
            .ToDictionary(g => g.Key, g => g.GroupBy(l => l.Labeller).ToDictionary(x => x.Key, x => Vote(x.Last())));
        var todo = cases.Where(c => !labels.Contains(c.ProblemId, c.Sample, panel.Name)).ToList();
        int labelled = 0, unlabelled = 0, conflicts = 0, queued = 0, done = 0;
        await Parallel.ForEachAsync(todo, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelCases), CancellationToken = cancel },
            async (c, token) =>
            {
                var votes = known.GetValueOrDefault((c.ProblemId, c.Sample)) ?? [];
                var d = await panel.DecideAsync(c, votes, token);
                foreach (var l in d.JudgeLabels) labels.Append(l);
                if (d.Label is not null) { labels.Append(d.Label); Interlocked.Increment(ref labelled); }
                else Interlocked.Increment(ref unlabelled);
                if (d.Conflict) Interlocked.Increment(ref conflicts);
                if (d.Review is not null && review is not null)
                {
                    review.Add(new ReviewItem(c.ProblemId, c.Sample, d.Review, c.Problem, c.Steps, d.Votes, d.Label?.FirstErrorStep, d.Label?.ErrorType));
                    Interlocked.Increment(ref queued);
                }
                progress?.Invoke(Interlocked.Increment(ref done));
            });
        var usage = panel.Judges.Concat(panel.Baseline is null ? [] : [panel.Baseline]).Select(j => (j.Name, j.Usage)).ToList();
        return new JudgingSummary(cases.Count, cases.Count - todo.Count, labelled, unlabelled, conflicts, queued, usage, start.Elapsed);
    }

    static JudgeVote Vote(LabelRecord l) => new(l.Labeller, l.FirstErrorStep, l.ErrorType, l.Explanation);
}
