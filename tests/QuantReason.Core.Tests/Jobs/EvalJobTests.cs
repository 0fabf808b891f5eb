using QuantReason.Evaluation.Runs;
using QuantReason.Jobs;
using QuantReason.Tests;
using QuantReason.Tests.Evaluation;
using QuantReason.Tests.Evaluation.Runs;

namespace QuantReason.Tests.Jobs;

public class EvalJobTests
{
    static EvalJob Job => new() { ModelDir = "m", Dataset = "d", Out = "o" };

    [Theory]
    [InlineData("limit", "--limit")]
    [InlineData("samples", "--samples")]
    [InlineData("temperature", "--temperature")]
    [InlineData("top-p", "--top-p")]
    [InlineData("max-new-tokens", "--max-new-tokens")]
    [InlineData("batch", "--batch")]
    [InlineData("greedy-samples", "--samples")]
    public void Each_bad_setting_is_refused_naming_its_flag(string what, string flag)
    {
        var job = what switch
        {
            "limit" => Job with { Limit = 0 },
            "samples" => Job with { Samples = 0 },
            "temperature" => Job with { Temperature = -1 },
            "top-p" => Job with { TopP = 0 },
            "max-new-tokens" => Job with { MaxNewTokens = 0 },
            "batch" => Job with { Batch = 0 },
            _ => Job with { Samples = 4 },
        };
        var e = Assert.Throws<QuantReasonException>(job.Validate);
        Assert.StartsWith(flag, e.Message);
    }

    [Fact]
    public void Defaults_are_a_greedy_zero_shot_run()
    {
        Job.Validate();
        Assert.Equal(("zero-shot-boxed", 0.0, 1, 1024), (Job.Prompt, Job.Temperature, Job.Samples, Job.MaxNewTokens));
        (Job with { Samples = 4, Temperature = 0.7 }).Validate();
    }
}

/// <summary>
/// Endpoint evaluation against the toolkit's own server on loopback, serving the shipped model data/models/stepmath-ref,
/// with the server stopped mid-run: a request that fails is never a prediction scored wrong.
/// </summary>
public sealed class EvalJobEndpointFailureTests : IDisposable
{
    const int Problems = 10;
    const int AnsweredBeforeTheKill = 4;
    readonly string _dir = Directory.CreateTempSubdirectory("qr-endpoint-kill-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static EvalJob Job(Uri server, string name, string run) => new()
    {
        Endpoint = new EndpointOptions(new Uri(server, "v1"), name)
        {
            Timeout = TimeSpan.FromSeconds(60), MaxRetries = 2, InitialBackoff = TimeSpan.FromMilliseconds(10),
        },
        Dataset = RepoFiles.PathOf("data", "runs", "stepmath-demo", "stepmath-test.jsonl"),
        Prompt = "step-tags",
        PromptDir = RepoFiles.PathOf("data", "prompts"),
        Limit = Problems,
        MaxNewTokens = 96,
        Out = run,
    };

    static List<string> Lines(string run) => QuantReason.Tests.Cli.EvalFiles.Lines(run);

    [Fact]
    public async Task A_server_killed_mid_run_leaves_failed_requests_unscored_and_the_resume_matches_an_uninterrupted_run()
    {
        using var session = QuantReason.Runtime.ModelSession.Load(RepoFiles.PathOf("data", "models", "stepmath-ref"), maxBatch: 4);
        var straight = Path.Combine(_dir, "straight");
        var resumed = Path.Combine(_dir, "resumed");
        await using (var server = await QuantReason.Serving.OpenAiServer.StartAsync(session, "127.0.0.1", 0))
            Assert.Equal(0, QuantReason.Cli.EvalCommand.Run(Job(server.Address, session.Name, straight), CancellationToken.None, NullProgress.Instance));

        var dying = await QuantReason.Serving.OpenAiServer.StartAsync(session, "127.0.0.1", 0);
        var deadUrl = dying.Address;
        var kill = new RunFixtures.AfterPredictions(AnsweredBeforeTheKill, () => dying.DisposeAsync().AsTask().GetAwaiter().GetResult());
        var e = Assert.Throws<QuantReasonException>(() =>
            QuantReason.Cli.EvalCommand.Run(Job(deadUrl, session.Name, resumed), CancellationToken.None, kill));
        Assert.Equal(resumed, e.Where);
        Assert.Contains($"{Problems - AnsweredBeforeTheKill} of {Problems} requests failed and are not scored", e.Message);
        Assert.Contains("gave up after 3 attempts", e.Message);

        // Only answered requests are predictions; none of them is a failure in disguise.
        var written = RunDirectory.ReadPredictions(Path.Combine(resumed, RunDirectory.PredictionsFile), strict: true);
        Assert.Equal(AnsweredBeforeTheKill, written.Count);
        Assert.DoesNotContain(written, p => p.FinishReason == FinishReason.Error);
        Assert.Equal(Lines(straight).Take(AnsweredBeforeTheKill), Lines(resumed));
        var failed = RunDirectory.ReadManifest(resumed);
        Assert.Equal(RunStatus.Incomplete, failed.Status);
        Assert.Equal((Problems, AnsweredBeforeTheKill, Problems - AnsweredBeforeTheKill), (failed.Counts.Problems, failed.Counts.Completed, failed.Counts.Errors));
        Assert.Equal(2 * (Problems - AnsweredBeforeTheKill), failed.Backend.Retries);

        // The CLI, rerun while the server is still down: exit 1, one line, nothing lost and nothing scored wrong.
        var (o, err) = (new StringWriter(), new StringWriter());
        var code = QuantReason.Cli.Commands.Run(["eval", "--endpoint", new Uri(deadUrl, "v1").ToString(), "--endpoint-model", session.Name,
            "--dataset", Job(deadUrl, session.Name, resumed).Dataset, "--prompt", "step-tags", "--limit", $"{Problems}", "--max-new-tokens", "96",
            "--retries", "0", "--timeout", "5", "--out", resumed], o, err);
        Assert.Equal(1, code);
        var lines = err.ToString().Trim().Split('\n');
        Assert.Equal($"warning: {resumed}: resuming, {AnsweredBeforeTheKill} predictions already finished", lines[0]);
        Assert.StartsWith($"error: {resumed}: {Problems - AnsweredBeforeTheKill} of {Problems - AnsweredBeforeTheKill} requests failed and are not scored", lines[1]);
        Assert.Equal(2, lines.Length);
        Assert.Equal(AnsweredBeforeTheKill, RunDirectory.ReadPredictions(Path.Combine(resumed, RunDirectory.PredictionsFile)).Count);

        // The server is back: the resume retries exactly the failed problems and ends where an uninterrupted run does.
        await using (var back = await QuantReason.Serving.OpenAiServer.StartAsync(session, "127.0.0.1", 0))
            Assert.Equal(0, QuantReason.Cli.EvalCommand.Run(Job(back.Address, session.Name, resumed), CancellationToken.None, NullProgress.Instance));
        Assert.Equal(Lines(straight), Lines(resumed));
        var done = RunDirectory.ReadManifest(resumed);
        Assert.Equal((RunStatus.Complete, Problems, 0), (done.Status, done.Counts.Completed, done.Counts.Errors));
        Assert.Equal(failed.Created, done.Created);

        // Outside reference: the committed in-process study run of the same model gave the same outputs.
        var committed = RunDirectory.ReadPredictions(RepoFiles.PathOf("data", "runs", "stepmath-demo", "stepmath-ref-fp", RunDirectory.PredictionsFile))
            .ToDictionary(p => p.ProblemId, p => p.Output);
        Assert.All(RunDirectory.ReadPredictions(Path.Combine(resumed, RunDirectory.PredictionsFile)),
            p => Assert.Equal(committed[p.ProblemId], p.Output));
    }
}
