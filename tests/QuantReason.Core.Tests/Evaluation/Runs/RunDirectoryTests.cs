using System.Text;
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
}
