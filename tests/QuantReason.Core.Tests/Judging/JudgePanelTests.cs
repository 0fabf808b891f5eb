using QuantReason.Evaluation.Runs;
using QuantReason.Judging;
using QuantReason.Data.StepMath;
using QuantReason.Jobs;
using Xunit.Abstractions;

namespace QuantReason.Tests.Judging;

/// <summary>The judge panel end to end against scripted OpenAI-compatible judge servers on loopback, over ProcessBench's cases.</summary>
public sealed class JudgePanelTests(ITestOutputHelper output) : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("qr-judges-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static List<(JudgeCase Case, int Truth)> Cases(int? take = null)
    {
        var items = Directory.GetFiles(Shared.PathOf("data", "processbench"), "*.json").Order(StringComparer.Ordinal)
            .SelectMany(ProcessBenchItem.Load).ToList();
        return items.Take(take ?? items.Count).Select(i => (JudgeCase.Of(i), i.Label)).ToList();
    }

    /// <summary>A panel of the server's models; <paramref name="timeout"/> applies to the model named "slow-first" only.</summary>
    JudgePanel Panel(JudgeServer server, IEnumerable<string> models, string? baseline = null, double review = 0, TimeSpan? timeout = null) =>
        new("panel", models.Select(m => (IJudge)new EndpointJudge(server.Spec(m, m == "slow-first" ? timeout : null),
                EndpointJudge.Generator(server.Spec(m, m == "slow-first" ? timeout : null)), new SemaphoreSlim(16), Taxonomy.Default)).ToList(),
            baseline is null ? null : new EndpointJudge(server.Spec(baseline), EndpointJudge.Generator(server.Spec(baseline)), new SemaphoreSlim(16), Taxonomy.Default),
            review, seed: 7, Taxonomy.Default);

    static double Binomial(int n, int k, double p)
    {
        double c = 1;
        for (int i = 0; i < k; i++) c = c * (n - i) / (i + 1);
        return c * Math.Pow(p, k) * Math.Pow(1 - p, n - k);
    }

    /// <summary>
    /// Seven independent judges, each right with p = 0.6: the first N of them (N = 1, 3, 5, 7) reach a correct strict
    /// majority with probability Σ_{k>N/2} C(N,k) p^k (1−p)^(N−k) (0.600, 0.648, 0.683, 0.710). Measured over
    /// ProcessBench's 1,400 cases, each lies within 4 standard errors of that and accuracy rises with N.
    /// </summary>
    [SharedFact]
    [Trait("Category", "Slow")]
    public async Task Majority_vote_accuracy_rises_with_panel_size_as_the_independent_error_model_predicts()
    {
        const double p = 0.6;
        var cases = Cases();
        var models = Enumerable.Range(1, 7).Select(i => $"judge-{i}").ToList();
        await using var server = await JudgeServer.StartAsync(cases, models.Select(m => new ScriptedJudge(m, p)));
        using var panel = Panel(server, models);
        using (var writer = LabelsWriter.Open(Path.Combine(_dir, "labels.jsonl")))
            await JudgingRun.RunAsync(panel, cases.Select(c => c.Case).ToList(), writer, null, parallelCases: 32);
        var labels = RunDirectory.ReadLabelFile(Path.Combine(_dir, "labels.jsonl")).ToList();
        var byCase = labels.GroupBy(l => l.ProblemId).ToDictionary(g => g.Key, g => g.ToDictionary(l => l.Labeller));
        var truth = cases.ToDictionary(c => c.Case.ProblemId, c => c.Truth);
        var measured = new List<double>();
        foreach (var n in new[] { 1, 3, 5, 7 })
        {
            int right = byCase.Count(kv =>
            {
                var v = MajorityVote.Of(models.Take(n).Select(m => new JudgeVote(m, kv.Value[m].FirstErrorStep, kv.Value[m].ErrorType, null)).ToList());
                return !v.Conflict && v.Step == truth[kv.Key];
            });
            double acc = (double)right / cases.Count;
            double predicted = Enumerable.Range(n / 2 + 1, n - n / 2).Sum(k => Binomial(n, k, p));
            double se = Math.Sqrt(predicted * (1 - predicted) / cases.Count);
            output.WriteLine($"N={n}: majority right {acc:F3}, predicted {predicted:F3} ± {se:F3}");
            Assert.InRange(acc, predicted - 4 * se, predicted + 4 * se);
            measured.Add(acc);
        }
        Assert.True(measured.Zip(measured.Skip(1)).All(x => x.Second > x.First), string.Join(" < ", measured));
        Assert.Equal(cases.Count, labels.Count(l => l.Labeller == "panel"));
    }

    [SharedFact]
    public async Task Conflicts_are_flagged_settled_by_the_baseline_and_queued_for_review()
    {
        var cases = Cases(60);
        await using var server = await JudgeServer.StartAsync(cases, [new("truthful", 1), new("liar", 0), new("baseline", 1)]);
        using var panel = Panel(server, ["truthful", "liar"], baseline: "baseline");
        var review = new ReviewQueue(Path.Combine(_dir, ReviewQueue.FileName));
        JudgingSummary s;
        using (var writer = LabelsWriter.Open(Path.Combine(_dir, "labels.jsonl")))
            s = await JudgingRun.RunAsync(panel, cases.Select(c => c.Case).ToList(), writer, review);
        Assert.Equal((60, 60, 60), (s.Labelled, s.Conflicts, s.Queued));
        var panelLabels = RunDirectory.ReadLabelFile(Path.Combine(_dir, "labels.jsonl")).Where(l => l.Labeller == "panel").ToList();
        Assert.All(panelLabels, l => Assert.True(l.Flagged));
        Assert.All(panelLabels, l => Assert.Equal(cases.Single(c => c.Case.ProblemId == l.ProblemId).Truth, l.FirstErrorStep));
        Assert.All(panelLabels, l => Assert.Contains(l.Votes!, v => v.Judge == "baseline"));
        var queued = ReviewQueue.Read(review.Path);
        Assert.Equal(60, queued.Count);
        Assert.All(queued, q => Assert.Equal("conflict", q.Reason));
        Assert.Equal(60, server.Requests / 3);
    }

    [SharedFact]
    public async Task A_seeded_share_of_agreed_cases_is_audited_and_the_draw_is_stable()
    {
        var cases = Cases(400);
        await using var server = await JudgeServer.StartAsync(cases, [new("a", 1), new("b", 1), new("c", 1)]);
        using var panel = Panel(server, ["a", "b", "c"], review: 0.1);
        var review = new ReviewQueue(Path.Combine(_dir, ReviewQueue.FileName));
        using (var writer = LabelsWriter.Open(Path.Combine(_dir, "labels.jsonl")))
            await JudgingRun.RunAsync(panel, cases.Select(c => c.Case).ToList(), writer, review);
        var audited = ReviewQueue.Read(review.Path).Select(q => q.ProblemId).ToHashSet();
        Assert.Equal(cases.Where(c => panel.Audit(c.Case)).Select(c => c.Case.ProblemId).ToHashSet(), audited);
        Assert.InRange(audited.Count, 20, 60); // 10 % of 400 = 40, binomial SD 6
        Assert.All(ReviewQueue.Read(review.Path), q => Assert.Equal("audit", q.Reason));
    }

    [SharedFact]
    public async Task Malformed_replies_timeouts_and_server_errors_are_retried_and_a_hopeless_judge_abstains()
    {
        var cases = Cases(20);
        await using var server = await JudgeServer.StartAsync(cases,
            [new("malformed-first", 1, Misbehaviour.MalformedFirst), new("503-first", 1, Misbehaviour.ServerErrorFirst),
             new("slow-first", 1, Misbehaviour.SlowFirst), new("hopeless", 1, Misbehaviour.AlwaysMalformed),
             new("unknown-type", 1, Misbehaviour.UnknownType), new("past-the-end", 1, Misbehaviour.PastTheEnd)]);
        using var panel = Panel(server, ["malformed-first", "503-first", "slow-first", "hopeless", "unknown-type", "past-the-end"], timeout: TimeSpan.FromSeconds(2));
        JudgingSummary s;
        using (var writer = LabelsWriter.Open(Path.Combine(_dir, "labels.jsonl")))
            s = await JudgingRun.RunAsync(panel, cases.Select(c => c.Case).ToList(), writer, null);
        var usage = s.Usage.ToDictionary(u => u.Judge, u => u.Usage);
        Assert.Equal((20, 0), (usage["malformed-first"].Malformed, usage["malformed-first"].Abstentions));
        Assert.Equal(0, usage["503-first"].Abstentions + usage["slow-first"].Abstentions);
        foreach (var hopeless in new[] { "hopeless", "unknown-type", "past-the-end" })
            Assert.Equal((20L, 60L), (usage[hopeless].Abstentions, usage[hopeless].Malformed)); // 1 try + 2 retries each
        var panelLabels = RunDirectory.ReadLabelFile(Path.Combine(_dir, "labels.jsonl")).Where(l => l.Labeller == "panel").ToList();
        Assert.Equal(20, panelLabels.Count);
        Assert.All(panelLabels, l =>
        {
            Assert.Equal(cases.Single(c => c.Case.ProblemId == l.ProblemId).Truth, l.FirstErrorStep);
            Assert.False(l.Flagged);
            Assert.Contains(l.Votes!, v => v.Judge == "unknown-type" && v.Abstained && v.Reason!.Contains("unknown error type 'arithmetic_slip'"));
            Assert.Contains(l.Votes!, v => v.Judge == "past-the-end" && v.Abstained && v.Reason!.Contains("past the solution"));
        });
        Assert.True(usage["malformed-first"].TokensIn > 0 && usage["malformed-first"].TokensOut > 0);
    }

    /// <summary>A run killed part-way (cancelled, with a torn last line) and resumed writes the same labels as one never interrupted.</summary>
    [SharedFact]
    public async Task A_killed_run_resumed_gives_the_same_labels_as_an_uninterrupted_one()
    {
        var cases = Cases(120);
        string[] models = ["x", "y", "z"];
        await using var server = await JudgeServer.StartAsync(cases, models.Select(m => new ScriptedJudge(m, 0.6)).Append(new ScriptedJudge("base", 0.8)));
        var whole = Path.Combine(_dir, "whole.jsonl");
        using (var panel = Panel(server, models, "base", review: 0.05))
        using (var writer = LabelsWriter.Open(whole))
            await JudgingRun.RunAsync(panel, cases.Select(c => c.Case).ToList(), writer, null);

        var resumed = Path.Combine(_dir, "resumed.jsonl");
        using (var panel = Panel(server, models, "base", review: 0.05))
        using (var writer = LabelsWriter.Open(resumed))
        using (var kill = new CancellationTokenSource())
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                JudgingRun.RunAsync(panel, cases.Select(c => c.Case).ToList(), writer, null, 8, done => { if (done >= 40) kill.Cancel(); }, kill.Token));
        }
        var before = File.ReadAllLines(resumed).Length;
        Assert.InRange(before, 40, 4 * 120 - 1);
        File.AppendAllText(resumed, """{"problem_id":"math-1","sample":0,"labeller":"pa""");
        int resumedLabelled;
        using (var panel = Panel(server, models, "base", review: 0.05))
        using (var writer = LabelsWriter.Open(resumed))
        {
            Assert.True(writer.TornBytes > 0);
            resumedLabelled = (await JudgingRun.RunAsync(panel, cases.Select(c => c.Case).ToList(), writer, null)).Labelled;
        }
        Assert.InRange(resumedLabelled, 1, 120 - 40);
        static Dictionary<(string, int, string), string> Read(string f) =>
            RunDirectory.ReadLabelFile(f).ToDictionary(l => (l.ProblemId, l.Sample, l.Labeller), l => $"{l.FirstErrorStep}|{l.ErrorType}|{l.Flagged}");
        var (a, b) = (Read(whole), Read(resumed));
        Assert.Equal(a.Count, File.ReadAllLines(resumed).Length); // no line twice
        Assert.Equal(a.OrderBy(kv => kv.Key), b.OrderBy(kv => kv.Key));
    }
}
