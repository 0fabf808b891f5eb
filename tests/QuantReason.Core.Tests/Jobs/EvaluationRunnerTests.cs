using QuantReason.Evaluation.Runs;
using QuantReason.Jobs;
using QuantReason.Tests;
using QuantReason.Tests.Evaluation;
using QuantReason.Tests.Evaluation.Runs;

namespace QuantReason.Tests.Jobs;

public sealed class EvaluationRunnerTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("qr-runner-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static string Prompt(QuantReason.Data.Datasets.Problem p) => p.Text;

    static List<string> Lines(string run) => QuantReason.Tests.Cli.EvalFiles.Lines(run);

    [Fact]
    public async Task An_interrupted_run_resumes_to_the_same_predictions_as_an_uninterrupted_one()
    {
        var problems = RunFixtures.Problems(12);
        var straight = Path.Combine(_dir, "straight");
        using (var run = RunDirectory.OpenOrCreate(straight, RunFixtures.Manifest("straight", samples: 2)))
            await EvaluationRunner.RunAsync(problems, Prompt, new RunFixtures.ToyGenerator(), run, NullProgress.Instance);

        var resumed = Path.Combine(_dir, "resumed");
        using var cts = new CancellationTokenSource();
        using (var run = RunDirectory.OpenOrCreate(resumed, RunFixtures.Manifest("resumed", samples: 2)))
        {
            var interrupting = new RunFixtures.ToyGenerator(call => { if (call == 10) cts.Cancel(); });
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                EvaluationRunner.RunAsync(problems, Prompt, interrupting, run, NullProgress.Instance, cts.Token));
        }
        var interrupted = RunDirectory.ReadManifest(resumed);
        Assert.Equal((RunStatus.Interrupted, 9), (interrupted.Status, interrupted.Counts.Completed));

        var calls = 0;
        using (var run = RunDirectory.OpenOrCreate(resumed, RunFixtures.Manifest("resumed", samples: 2)))
            await EvaluationRunner.RunAsync(problems, Prompt, new RunFixtures.ToyGenerator(_ => calls++), run, NullProgress.Instance);

        Assert.Equal(24 - 9, calls); // only the unfinished (problem, sample) pairs were generated again
        Assert.Equal(Lines(straight), Lines(resumed));
        var done = RunDirectory.ReadManifest(resumed);
        Assert.Equal(RunStatus.Complete, done.Status);
        Assert.Equal(new RunCounts(12, 24, 16, 0), done.Counts); // p0, p3, p6, p9 answered wrongly in both samples
        Assert.Equal(interrupted.Created, done.Created);
    }

    sealed class FailingGenerator : ITextGenerator
    {
        public Task<GenerationResult> GenerateAsync(GenerationRequest request, CancellationToken cancel) =>
            throw new HttpRequestException("connection reset");
    }

    [Fact]
    public async Task A_failing_backend_is_a_clear_error_its_requests_are_not_predictions_and_a_resume_retries_them()
    {
        using (var run = RunDirectory.OpenOrCreate(_dir, RunFixtures.Manifest("r")))
        {
            var e = await Assert.ThrowsAsync<QuantReasonException>(() =>
                EvaluationRunner.RunAsync(RunFixtures.Problems(2), Prompt, new FailingGenerator(), run, NullProgress.Instance));
            Assert.Equal(_dir, e.Where);
            Assert.Contains("2 of 2 requests failed and are not scored (first: (p0, 0): connection reset)", e.Message);
        }
        Assert.Empty(RunDirectory.ReadPredictions(Path.Combine(_dir, RunDirectory.PredictionsFile)));
        var failed = RunDirectory.ReadManifest(_dir);
        Assert.Equal((RunStatus.Incomplete, new RunCounts(2, 0, 0, 2)), (failed.Status, failed.Counts));

        using (var run = RunDirectory.OpenOrCreate(_dir, RunFixtures.Manifest("r")))
            Assert.Equal(new RunCounts(2, 2, 1, 0), await EvaluationRunner.RunAsync(RunFixtures.Problems(2), Prompt, new RunFixtures.ToyGenerator(), run, NullProgress.Instance));
        Assert.Equal(RunStatus.Complete, RunDirectory.ReadManifest(_dir).Status);
    }
}
