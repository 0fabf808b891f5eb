using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using QuantReason.Evaluation.Runs;

namespace QuantReason.Tests.Evaluation.Runs;

public sealed class RunDirectoryTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("qr-run-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static PredictionRecord Record(string id, int sample, bool correct) =>
        new() { ProblemId = id, Sample = sample, Gold = "1", Correct = correct, Output = "\\boxed{1}", Extracted = "1", Rule = QuantReason.Evaluation.ExtractionRule.Boxed };

    [Fact]
    public void Each_append_is_on_disk_at_once_and_reopening_knows_what_is_finished()
    {
        using (var run = RunDirectory.OpenOrCreate(_dir, RunFixtures.Manifest("r1")))
        {
            run.Append(Record("a", 0, true));
            // Another reader sees the line while the run is still open: it was flushed, not buffered.
            var lines = File.ReadAllLines(Path.Combine(_dir, RunDirectory.PredictionsFile), Encoding.UTF8);
            Assert.Single(lines);
            Assert.Contains("\"problem_id\":\"a\"", lines[0]);
            Assert.Contains("\"rule\":\"boxed\"", lines[0]);
            run.Append(Record("b", 0, false));
            Assert.Throws<QuantReasonException>(() => run.Append(Record("a", 0, true)));
        }
        using var again = RunDirectory.OpenOrCreate(_dir, RunFixtures.Manifest("r1"));
        Assert.True(again.IsFinished("a", 0));
        Assert.False(again.IsFinished("a", 1));
        Assert.Equal((2, 1), (again.FinishedCount, again.CorrectCount));
    }

    [Fact]
    public void A_line_torn_by_a_crash_is_cut_off_and_reported()
    {
        using (var run = RunDirectory.OpenOrCreate(_dir, RunFixtures.Manifest("r1")))
            run.Append(Record("a", 0, true));
        File.AppendAllText(Path.Combine(_dir, RunDirectory.PredictionsFile), "{\"problem_id\":\"b\",\"sam");
        using (var run = RunDirectory.OpenOrCreate(_dir, RunFixtures.Manifest("r1")))
        {
            Assert.Contains(run.Warnings, w => w.Contains("torn last line"));
            Assert.Equal(1, run.FinishedCount);
            run.Append(Record("b", 0, true));
        }
        var records = RunDirectory.ReadPredictions(Path.Combine(_dir, RunDirectory.PredictionsFile), strict: true);
        Assert.Equal(["a", "b"], records.Select(r => r.ProblemId));
    }

    [Fact]
    public void Manifest_round_trips_in_snake_case_and_unknown_schema_versions_are_rejected()
    {
        using (RunDirectory.OpenOrCreate(_dir, RunFixtures.Manifest("r1") with { Tags = new Dictionary<string, string> { ["family"] = "llama-3.2" } })) { }
        var text = File.ReadAllText(Path.Combine(_dir, RunDirectory.ManifestFile));
        Assert.Contains("\"schema_version\": 1", text);
        Assert.Contains("\"max_new_tokens\": 64", text);
        Assert.Contains("\"status\": \"running\"", text);
        var m = RunDirectory.ReadManifest(_dir);
        Assert.Equal(("r1", "llama-3.2", 64), (m.RunId, m.Tags["family"], m.Generation.MaxNewTokens));

        File.WriteAllText(Path.Combine(_dir, RunDirectory.ManifestFile), text.Replace("\"schema_version\": 1", "\"schema_version\": 99"));
        var e = Assert.Throws<QuantReasonException>(() => RunDirectory.ReadManifest(_dir));
        Assert.Contains("schema_version 99", e.Message);
        Assert.EndsWith(RunDirectory.ManifestFile, e.Where);
    }

    [Fact]
    public void A_folder_without_manifest_is_not_a_run()
    {
        var e = Assert.Throws<QuantReasonException>(() => RunDirectory.ReadManifest(_dir));
        Assert.Contains("manifest.json is missing", e.Message);
    }

    [Fact]
    public void Resuming_with_other_settings_is_refused_and_backend_counts_carry_over()
    {
        var endpoint = RunFixtures.Manifest("r1") with { Backend = new BackendInfo("endpoint", "http://h/v1", 3, 1) };
        using (RunDirectory.OpenOrCreate(_dir, endpoint)) { }
        using (var again = RunDirectory.OpenOrCreate(_dir, endpoint with { Backend = endpoint.Backend with { Retries = 0, Timeouts = 0 } }))
            Assert.Equal((3, 1), (again.Manifest.Backend.Retries, again.Manifest.Backend.Timeouts));
        var e = Assert.Throws<QuantReasonException>(() => RunDirectory.OpenOrCreate(_dir, endpoint with
        {
            Generation = endpoint.Generation with { MaxNewTokens = 1 },
            Prompt = new PromptInfo("other", null),
        }));
        Assert.Equal($"{_dir}: this run was made with a different prompt, generation settings; resume it with the same settings or choose another run directory", e.Message);
    }

    [Fact]
    public void A_second_writer_is_refused_naming_the_folder_until_the_first_is_disposed()
    {
        var first = RunDirectory.OpenOrCreate(_dir, RunFixtures.Manifest("r1"));
        first.Append(Record("a", 0, true));
        var e = Assert.Throws<QuantReasonException>(() => RunDirectory.OpenOrCreate(_dir, RunFixtures.Manifest("r1")));
        Assert.Equal(_dir, e.Where);
        Assert.Contains("another process is writing this run directory", e.Message);
        Assert.Throws<QuantReasonException>(() => RunDirectory.Open(_dir)); // labelling waits for the writer too
        // the refused writer touched nothing
        Assert.Single(File.ReadAllLines(Path.Combine(_dir, RunDirectory.PredictionsFile)));
        first.Dispose();
        Assert.False(File.Exists(Path.Combine(_dir, RunDirectory.LockFile)));
        using var resumed = RunDirectory.OpenOrCreate(_dir, RunFixtures.Manifest("r1"));
        Assert.True(resumed.IsFinished("a", 0));
    }

    [Fact]
    public void A_lock_file_left_behind_without_its_process_does_not_block_a_resume()
    {
        using (var run = RunDirectory.OpenOrCreate(_dir, RunFixtures.Manifest("r1"))) run.Append(Record("a", 0, true));
        // what a killed writer leaves: the file, but no process holding it
        File.WriteAllText(Path.Combine(_dir, RunDirectory.LockFile), "");
        using var resumed = RunDirectory.OpenOrCreate(_dir, RunFixtures.Manifest("r1"));
        Assert.Equal(1, resumed.FinishedCount);
    }

    [Fact]
    public void Failed_requests_an_earlier_version_wrote_as_predictions_are_dropped_on_resume_and_never_read_as_answers()
    {
        using (var run = RunDirectory.OpenOrCreate(_dir, RunFixtures.Manifest("r1")))
        {
            run.Append(Record("a", 0, true));
            Assert.Throws<QuantReasonException>(() => run.Append(Record("b", 0, false) with { FinishReason = FinishReason.Error }));
        }
        var file = Path.Combine(_dir, RunDirectory.PredictionsFile);
        var good = File.ReadAllText(file);
        File.AppendAllText(file, "{\"problem_id\":\"b\",\"sample\":0,\"output\":\"gave up\",\"finish_reason\":\"error\",\"gold\":\"1\",\"correct\":false}\n");
        var warnings = new List<string>();
        Assert.Equal(["a"], RunDirectory.ReadPredictions(file, warnings).Select(p => p.ProblemId));
        Assert.Contains(warnings, w => w.Contains("1 failed requests"));
        using (var run = RunDirectory.OpenOrCreate(_dir, RunFixtures.Manifest("r1")))
        {
            Assert.False(run.IsFinished("b", 0));
            Assert.Contains(run.Warnings, w => w.Contains("removed 1 failed requests"));
        }
        Assert.Equal(good, File.ReadAllText(file)); // the answered lines are kept byte for byte
    }

    [Theory]
    [InlineData("model digest", "sha256:")]
    [InlineData("architecture", "LlamaForCausalLM")]
    [InlineData("backend", "runtime")]
    public void A_manifest_off_the_one_convention_is_refused(string what, string value)
    {
        var m = RunFixtures.Manifest("r1");
        m = what switch
        {
            "model digest" => m with { Model = m.Model with { Digest = value + new string('a', 64) } },
            "architecture" => m with { Model = m.Model with { Architecture = value } },
            _ => m with { Backend = m.Backend with { Kind = value } },
        };
        var e = Assert.Throws<QuantReasonException>(() => RunDirectory.OpenOrCreate(_dir, m));
        Assert.Contains(value, e.Message);
        Assert.False(File.Exists(Path.Combine(_dir, RunDirectory.ManifestFile)));
    }

    [Fact]
    public void Every_committed_run_follows_the_one_convention()
    {
        var manifests = Directory.GetFiles(RepoFiles.PathOf("data"), RunDirectory.ManifestFile, SearchOption.AllDirectories);
        Assert.NotEmpty(manifests);
        foreach (var file in manifests)
        {
            var run = Path.GetDirectoryName(file)!;
            RunConventions.Check(RunDirectory.ReadManifest(run), run);
            Assert.NotEmpty(RunDirectory.ReadRunPredictions(run, strict: true));
        }
    }
}

/// <summary>The run lock between real processes: two `quantreason eval` into one folder, then the first one killed.</summary>
public sealed class RunDirectoryProcessLockTests : IAsyncLifetime
{
    readonly string _dir = Directory.CreateTempSubdirectory("qr-run-lock-").FullName;
    readonly TaskCompletionSource _asked = new(TaskCreationOptions.RunContinuationsAsynchronously);
    WebApplication _app = null!;
    Uri _url = null!;

    public async Task InitializeAsync()
    {
        // Lists a model and never answers a completion, so the first eval holds its run directory while it waits.
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _app = builder.Build();
        _app.MapGet("/v1/models", () => Results.Json(new { @object = "list", data = new[] { new { id = "m" } } }));
        _app.MapPost("/v1/chat/completions", async (HttpContext ctx) =>
        {
            _asked.TrySetResult();
            try { await Task.Delay(Timeout.Infinite, ctx.RequestAborted); } catch (OperationCanceledException) { }
        });
        await _app.StartAsync();
        _url = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task A_second_eval_process_is_refused_and_killing_the_first_frees_the_folder_for_a_resume()
    {
        var run = Path.Combine(_dir, "run");
        string[] args = ["eval", "--endpoint", new Uri(_url, "v1").ToString(), "--endpoint-model", "m",
            "--dataset", RepoFiles.PathOf("data", "runs", "stepmath-demo", "stepmath-test.jsonl"),
            "--prompt", RepoFiles.PathOf("data", "prompts", "step-tags.yaml"), "--limit", "2", "--max-new-tokens", "8", "--out", run];
        using var first = QuantReason.Tests.Cli.CliProcess.Start(args);
        var firstErr = first.StandardError.ReadToEndAsync();
        _ = first.StandardOutput.ReadToEndAsync();
        try
        {
            // bounded: the first process has opened the run once its request reaches the server
            await _asked.Task.WaitAsync(TimeSpan.FromMinutes(2));

            using var second = QuantReason.Tests.Cli.CliProcess.Start(args);
            var secondErr = second.StandardError.ReadToEndAsync();
            _ = second.StandardOutput.ReadToEndAsync();
            Assert.True(second.WaitForExit(TimeSpan.FromMinutes(2)), "the second eval did not finish");
            Assert.Equal(1, second.ExitCode);
            var err = (await secondErr).Trim();
            Assert.Equal($"error: {run}: another process is writing this run directory (it holds .lock); wait for it to finish or choose another run directory", err);
            Assert.Throws<QuantReasonException>(() => RunDirectory.OpenOrCreate(run, RunDirectory.ReadManifest(run)));
        }
        finally
        {
            first.Kill(entireProcessTree: true);
            Assert.True(first.WaitForExit(TimeSpan.FromMinutes(1)));
            await firstErr;
        }
        // the killed writer left its lock file behind, but not its lock: the resume goes ahead
        Assert.True(File.Exists(Path.Combine(run, RunDirectory.LockFile)));
        using var resumed = RunDirectory.OpenOrCreate(run, RunDirectory.ReadManifest(run));
        Assert.Equal(RunStatus.Running, resumed.Manifest.Status);
    }
}
