using QuantReason.Evaluation.Runs;
using QuantReason.Data.StepMath;

namespace QuantReason.Judging;

/// <summary>What the panel wrote for one case: each judge's own label, the panel's label (null when every judge abstained), and why it goes to review.</summary>
public sealed record PanelDecision(IReadOnlyList<LabelRecord> JudgeLabels, LabelRecord? Label, IReadOnlyList<JudgeVote> Votes, bool Conflict, string? Review);

/// <summary>
/// N judges voting on each case, and a baseline judge asked only when they conflict (<see cref="MajorityVote"/>): its
/// verdict then stands and the case is flagged. Conflicts, and a seeded random share of the rest (the audit), go to
/// human review; the draw hashes (seed, problem, sample), so a resumed run sends the same cases.
/// </summary>
public sealed class JudgePanel : IDisposable
{
    public const string Human = "human";

    public string Name { get; }
    public IReadOnlyList<IJudge> Judges { get; }
    public IJudge? Baseline { get; }
    public double ReviewSample { get; }
    public int Seed { get; }
    readonly Taxonomy _taxonomy;
    readonly List<IDisposable> _owned = [];

    public JudgePanel(string name, IReadOnlyList<IJudge> judges, IJudge? baseline, double reviewSample, int seed, Taxonomy taxonomy)
    {
        if (judges.Count == 0) throw new QuantReasonException("a panel needs at least one judge", name);
        Name = name; Judges = judges; Baseline = baseline; ReviewSample = reviewSample; Seed = seed; _taxonomy = taxonomy;
    }

    /// <summary>Builds the judges of a panel file; judges on the same URL share one gate of the largest concurrency they ask for.</summary>
    public static JudgePanel Create(PanelConfig config, Taxonomy taxonomy)
    {
        var specs = config.Judges.Concat(config.Baseline is null ? [] : [config.Baseline]).ToList();
        var gates = specs.Where(s => s.Kind == JudgeKind.Endpoint).GroupBy(s => s.Url!.ToString().TrimEnd('/'))
            .ToDictionary(g => g.Key, g => new SemaphoreSlim(g.Max(s => s.Concurrency)));
        var owned = new List<IDisposable>(gates.Values);
        IJudge Build(JudgeSpec s)
        {
            if (s.Kind == JudgeKind.StepChecker) return new StepCheckerJudge(s.Name);
            var j = new EndpointJudge(s, EndpointJudge.Generator(s), gates[s.Url!.ToString().TrimEnd('/')], taxonomy);
            owned.Add(j);
            return j;
        }
        var panel = new JudgePanel(config.Name, config.Judges.Select(Build).ToList(), config.Baseline is null ? null : Build(config.Baseline),
            config.ReviewSample, config.Seed, taxonomy);
        panel._owned.AddRange(owned);
        return panel;
    }

    /// <summary>
    /// Decides one case. <paramref name="known"/> holds votes already on file for this case (a resumed run): those judges
    /// are not asked again, so the resumed labels equal the uninterrupted ones.
    /// </summary>
    public async Task<PanelDecision> DecideAsync(JudgeCase c, IReadOnlyDictionary<string, JudgeVote> known, CancellationToken cancel)
    {
        var outcomes = await Task.WhenAll(Judges.Select(j => known.TryGetValue(j.Name, out var v)
            ? Task.FromResult<(JudgeVote, JudgeOutcome?)>((v, null))
            : Ask(j, c, cancel)));
        var votes = outcomes.Select(o => o.Item1).ToList();
        var labels = outcomes.Where(o => o.Item2 is { Abstained: false }).Select(o => JudgeLabel(c, o.Item2!)).ToList();
        var vote = MajorityVote.Of(votes);
        LabelRecord? label;
        if (!vote.Conflict)
        {
            var reason = votes.FirstOrDefault(v => v.FirstErrorStep == vote.Step && v.ErrorType == vote.Type)?.Reason ?? "";
            label = ErrorLabels.Of(c.ProblemId, c.Sample, Name, c.Steps, vote.Step!.Value, vote.Type, reason, (double)vote.ForWinner / vote.Cast, _taxonomy);
        }
        else
        {
            JudgeVote? settled = null;
            if (Baseline is not null)
            {
                var (bv, bo) = known.TryGetValue(Baseline.Name, out var k) ? (k, null) : await Ask(Baseline, c, cancel);
                if (bo is { Abstained: false }) labels.Add(JudgeLabel(c, bo));
                votes.Add(bv);
                if (!bv.Abstained) settled = bv;
            }
            // without a baseline verdict the plurality stands (lowest step on a tie); every judge abstaining leaves the case unlabelled
            settled ??= vote.Step is { } step ? votes.First(v => v.FirstErrorStep == step) : null;
            label = settled is null ? null
                : ErrorLabels.Of(c.ProblemId, c.Sample, Name, c.Steps, settled.FirstErrorStep!.Value, settled.ErrorType,
                    $"conflict settled by {settled.Judge}: {settled.Reason}", vote.Cast == 0 ? 0 : (double)vote.ForWinner / vote.Cast, _taxonomy);
        }
        label = label is null ? null : label with { Flagged = vote.Conflict, Votes = votes };
        var review = vote.Conflict ? "conflict" : Audit(c) ? "audit" : null;
        return new PanelDecision(labels, label, votes, vote.Conflict, review);
    }

    async Task<(JudgeVote, JudgeOutcome?)> Ask(IJudge judge, JudgeCase c, CancellationToken cancel)
    {
        var o = await judge.JudgeAsync(c, cancel);
        return (o.Vote, o);
    }

    LabelRecord JudgeLabel(JudgeCase c, JudgeOutcome o) =>
        ErrorLabels.Of(c.ProblemId, c.Sample, o.Judge, c.Steps, o.Reply!.FirstErrorStep, o.Reply.ErrorType, o.Reply.Reason, 1.0, _taxonomy);

    /// <summary>The seeded audit draw: FNV-1a of (seed, problem, sample) as a fraction of 2^64, below the review share.</summary>
    public bool Audit(JudgeCase c)
    {
        ulong h = 14695981039346656037UL;
        foreach (var ch in $"{Seed}\n{c.ProblemId}\n{c.Sample}") { h ^= ch; h *= 1099511628211UL; }
        return h / 18446744073709551616.0 < ReviewSample;
    }

    public void Dispose() { foreach (var d in _owned) d.Dispose(); }
}
