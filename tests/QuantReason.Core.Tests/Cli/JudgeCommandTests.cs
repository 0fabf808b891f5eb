using QuantReason.Evaluation.Runs;
using System.Text.Json;
using QuantReason.Cli;
using QuantReason.Judging;

namespace QuantReason.Tests.Cli;

public sealed class JudgeCommandTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("qr-judge-cli-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static (int Code, string Out, string Err) Run(params string[] args)
    {
        var (o, e) = (new StringWriter(), new StringWriter());
        return (Commands.Run(args, o, e), o.ToString(), e.ToString());
    }

    static void OneLine(string err, string contains)
    {
        Assert.StartsWith("error:", err);
        Assert.Single(err.TrimEnd().Split('\n'));
        Assert.Contains(contains, err);
    }

    [Fact]
    public void Labels_for_a_run_that_does_not_exist_are_one_clear_line()
    {
        var (code, _, err) = Run("judge", "label", "--run", Path.Combine(_dir, "no-such-run"), "--panel", "step-checker");
        Assert.Equal(1, code);
        OneLine(err, "run directory does not exist");
    }

    [Fact]
    public void A_panel_naming_an_unset_key_variable_is_one_clear_line_and_nothing_is_written()
    {
        var run = Directory.CreateDirectory(Path.Combine(_dir, "run")).FullName;
        File.WriteAllText(Path.Combine(run, "predictions.jsonl"), """{"problem_id":"1","sample":0,"prompt":"2+2?","output":"2+2=5","gold":"4","correct":false}""" + "\n");
        var panel = Path.Combine(_dir, "panel.yaml");
        File.WriteAllText(panel, """
            judges:
              - { name: a, url: http://127.0.0.1:9/v1, model: m, key_env: QUANTREASON_TEST_UNSET_JUDGE_KEY }
              - { name: checker, kind: step-checker }
            """);
        var (code, _, err) = Run("judge", "label", "--run", run, "--panel", panel);
        Assert.Equal(1, code);
        OneLine(err, "key variable 'QUANTREASON_TEST_UNSET_JUDGE_KEY' is not set");
        Assert.False(File.Exists(Path.Combine(run, "labels.jsonl")));
    }

    [Fact]
    public void Labels_of_another_run_scored_against_the_verifier_are_one_clear_line()
    {
        var mine = Path.Combine(_dir, "mine.jsonl");
        var theirs = Path.Combine(_dir, "theirs.jsonl");
        File.WriteAllText(mine, """{"problem_id":"x","sample":0,"labeller":"j","num_steps":1,"first_error_step":-1,"error_type":null,"error_type_v1":null,"category":null,"explanation":"","confidence":1}""" + "\n");
        File.WriteAllText(theirs, """{"problem_id":"y","sample":0,"labeller":"verifier","num_steps":1,"first_error_step":-1,"error_type":null,"error_type_v1":null,"category":null,"explanation":"","confidence":1}""" + "\n");
        var (code, _, err) = Run("judge", "score", "--labels", mine, "--against", "verifier", "--reference", theirs);
        Assert.Equal(1, code);
        OneLine(err, "match none of the verifier's solutions");
    }

    [SharedFact]
    public void The_step_checker_scored_on_a_ProcessBench_file_prints_its_metric_as_json_and_resumes()
    {
        var file = Directory.GetFiles(Shared.PathOf("data", "processbench"), "*.json").Order(StringComparer.Ordinal).First();
        var labels = Path.Combine(_dir, "pb.labels.jsonl");
        var (code, o, err) = Run("judge", "score", "--processbench", file, "--panel", "step-checker", "--out", labels, "--json");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(o);
        var items = ProcessBenchItem.Load(file);
        var expected = ProcessBenchScore.Of(items, i => StepChecker.Check(i.Steps).FirstErrorStep).Single();
        Assert.Equal(Math.Round(expected.F1, 2), doc.RootElement.GetProperty("f1").GetDouble());
        Assert.Equal(Math.Round(expected.ErrorAccuracy, 2), doc.RootElement.GetProperty("error_acc").GetDouble());
        Assert.Equal(Math.Round(expected.CorrectAccuracy, 2), doc.RootElement.GetProperty("correct_acc").GetDouble());
        var lines = File.ReadAllLines(labels).Length;
        Assert.Equal(items.Count, lines);
        Assert.Equal(0, Run("judge", "score", "--processbench", file, "--panel", "step-checker", "--out", labels, "--json").Code);
        Assert.Equal(lines, File.ReadAllLines(labels).Length); // nothing labelled twice
        var (code2, o2, _) = Run("judge", "score", "--labels", labels, "--against", "processbench:" + Path.GetFileNameWithoutExtension(file),
            "--processbench-dir", Path.GetDirectoryName(file)!, "--json");
        Assert.Equal(0, code2);
        Assert.Equal(o.Trim(), o2.Trim());
    }

    /// <summary>A panel file (three endpoint judges on one loopback server, the step checker, a baseline) through the CLI end to end.</summary>
    [SharedFact]
    public async Task Judge_label_runs_a_panel_file_over_a_runs_failures_and_resumes()
    {
        var run = Directory.CreateDirectory(Path.Combine(_dir, "run")).FullName;
        var items = ProcessBenchItem.Load(Directory.GetFiles(Shared.PathOf("data", "processbench"), "*.json").Order(StringComparer.Ordinal).First()).Take(30).ToList();
        File.WriteAllLines(Path.Combine(run, "predictions.jsonl"), items.Select((i, k) => JsonSerializer.Serialize(new
        {
            problem_id = i.Id, sample = 0, prompt = i.Problem, output = string.Join("\n\n", i.Steps), gold = "?", correct = k % 3 == 0,
        })));
        var cases = JudgeCase.FromRun(run, failuresOnly: true);
        Assert.Equal(20, cases.Count);
        var truth = items.ToDictionary(i => i.Id, i => i.Label);
        await using var server = await QuantReason.Tests.Judging.JudgeServer.StartAsync(cases.Select(c => (c, truth[c.ProblemId])),
            [new("m1", 0.8), new("m2", 0.8), new("m3", 0.8), new("base", 1)]);
        var panel = Path.Combine(_dir, "panel.yaml");
        File.WriteAllText(panel, $$"""
            name: panel
            judges:
              - { name: m1, url: {{server.Url}}, model: m1, concurrency: 4 }
              - { name: m2, url: {{server.Url}}, model: m2, concurrency: 4 }
              - { name: m3, url: {{server.Url}}, model: m3, concurrency: 4 }
              - { name: checker, kind: step-checker }
            baseline: { name: base, url: {{server.Url}}, model: base }
            review_sample: 0.1
            seed: 5
            """);
        // off the test's synchronization context: the command blocks on the judging run
        var (code, o, err) = await Task.Run(() => Run("judge", "label", "--run", run, "--panel", panel));
        Assert.True(code == 0, err);
        Assert.Contains("20 labelled, 0 already on file", o);
        var labels = RunDirectory.ReadLabelFile(Path.Combine(run, "labels.jsonl")).ToList();
        Assert.Equal(20, labels.Count(l => l.Labeller == "panel"));
        Assert.All(labels.Where(l => l.Labeller == "panel"), l => Assert.Equal(4, l.Votes!.Count(v => v.Judge != "base")));
        var queued = ReviewQueue.Read(Path.Combine(run, ReviewQueue.FileName)).Select(q => q.ProblemId).ToHashSet();
        Assert.Subset(queued, labels.Where(l => l.Labeller == "panel" && l.Flagged).Select(l => l.ProblemId).ToHashSet());
        var requests = server.Requests;
        var again = await Task.Run(() => Run("judge", "label", "--run", run, "--panel", panel));
        Assert.Equal(0, again.Code);
        Assert.Contains("0 labelled, 20 already on file", again.Out);
        Assert.Equal(requests, server.Requests); // nothing asked twice
        var (c2, json, e2) = Run("judge", "stats", "--run", run, "--json");
        Assert.True(c2 == 0, e2);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(20, doc.RootElement.GetProperty("fleiss_subjects").GetInt32());
    }

    [Fact]
    public void Review_records_human_verdicts_and_stats_reports_agreement()
    {
        var labels = Path.Combine(_dir, "labels.jsonl");
        string Label(string id, string who, int step, string votes = "") =>
            $$"""{"problem_id":"{{id}}","sample":0,"labeller":"{{who}}","num_steps":2,"first_error_step":{{step}},"error_type":{{(step < 0 ? "null" : "\"computational_error\"")}},"error_type_v1":null,"category":{{(step < 0 ? "null" : "\"execution\"")}},"explanation":"","confidence":1{{votes}}}""";
        const string votes = ""","votes":[{"judge":"a","first_error_step":0,"error_type":"computational_error","reason":""},{"judge":"b","first_error_step":1,"error_type":"computational_error","reason":""}]""";
        File.WriteAllLines(labels, [Label("p", "a", 0), Label("p", "b", 1), Label("p", "panel", 0, votes), Label("q", "a", 0), Label("q", "b", 1), Label("q", "panel", 1, votes)]);
        File.WriteAllLines(Path.Combine(_dir, ReviewQueue.FileName), new[] { "p", "q" }.Select(id => JsonSerializer.Serialize(
            new ReviewItem(id, 0, "conflict", "What is 2+2?", ["2+2=5", "so 5"], [new("a", 0, "computational_error", "r"), new("b", 1, "computational_error", "r")], 0, "computational_error"))));
        var stdin = Console.In;
        Console.SetIn(new StringReader("7\n0\narithmetic\ncomputational_error\n1\ncomputational_error\n"));
        try
        {
            var (code, o, err) = Run("judge", "review", "--labels", labels);
            Assert.True(code == 0, err);
            Assert.Contains("not a step of this solution", o);
            Assert.Contains("unknown type 'arithmetic'", o);
            Assert.Contains("2 verdicts recorded", o);
        }
        finally { Console.SetIn(stdin); }
        var human = RunDirectory.ReadLabelFile(labels).Where(l => l.Labeller == "human").OrderBy(l => l.ProblemId).ToList();
        Assert.Equal([0, 1], human.Select(l => l.FirstErrorStep));
        var (c2, json, e2) = Run("judge", "stats", "--labels", labels, "--json");
        Assert.True(c2 == 0, e2);
        using var doc = JsonDocument.Parse(json);
        // panel 0,1 vs human 0,1: perfect agreement, κ = 1; judges a (0,0) and b (1,1) each right once
        Assert.Equal(1.0, doc.RootElement.GetProperty("cohen_kappa").GetDouble());
        Assert.Equal(2, doc.RootElement.GetProperty("human_verdicts").GetInt32());
        var judges = doc.RootElement.GetProperty("judges").EnumerateArray().ToDictionary(j => j.GetProperty("judge").GetString()!, j => j.GetProperty("vs_human").GetDouble());
        Assert.Equal(0.5, judges["a"]);
        Assert.Equal(0.5, judges["b"]);
    }
}
