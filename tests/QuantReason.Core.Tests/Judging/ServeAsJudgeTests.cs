using QuantReason.Evaluation.Runs;
using QuantReason.Judging;
using QuantReason.Data.StepMath;
using QuantReason.Jobs;
using QuantReason.Tests.Serving;

namespace QuantReason.Tests.Judging;

/// <summary>
/// The toolkit's own <c>serve</c> (over the tiny random fixture model) as a panel member beside the step checker. Its
/// replies are noise, so it must be asked, retried as malformed, counted, and recorded as abstaining, while the panel
/// still labels every case from the remaining vote.
/// </summary>
public sealed class ServeAsJudgeTests(ServerFixture fx) : IClassFixture<ServerFixture>, IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("qr-serve-judge-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [SharedFact]
    public async Task Serve_is_asked_retried_and_recorded_as_abstaining()
    {
        var spec = new JudgeSpec("served", JudgeKind.Endpoint, new Uri(fx.Server.Address, "/v1"), null, null, null, 0,
            "{problem}\n{steps}\nJSON:", 2, TimeSpan.FromSeconds(60), 1, 1, 6);
        using var served = new EndpointJudge(spec, EndpointJudge.Generator(spec), new SemaphoreSlim(2), Taxonomy.Default);
        using var panel = new JudgePanel("panel", [served, new StepCheckerJudge("checker")], null, 0, 1, Taxonomy.Default);
        JudgeCase[] cases = [new("a", 0, "2+2?", ["2+2=5", "so 5"]), new("b", 0, "3*3?", ["3*3=9"]), new("c", 0, "1+6?", ["1+6=7", "7-1=5"])];
        JudgingSummary s;
        using (var writer = LabelsWriter.Open(Path.Combine(_dir, "labels.jsonl")))
            s = await JudgingRun.RunAsync(panel, cases, writer, null);
        var u = s.Usage.Single(x => x.Judge == "served").Usage;
        Assert.Equal((6L, 3L, 6L), (u.Calls, u.Abstentions, u.Malformed)); // 1 try + 1 retry per case, each reply not JSON
        Assert.True(u.TokensIn > 0 && u.TokensOut > 0);
        var labels = RunDirectory.ReadLabelFile(Path.Combine(_dir, "labels.jsonl")).Where(l => l.Labeller == "panel").OrderBy(l => l.ProblemId).ToList();
        Assert.Equal([0, -1, 1], labels.Select(l => l.FirstErrorStep));
        Assert.All(labels, l => Assert.True(l.Votes!.Single(v => v.Judge == "served").Abstained));
    }
}
