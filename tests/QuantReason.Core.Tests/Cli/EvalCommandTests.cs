using QuantReason.Cli;
using QuantReason.Evaluation.Runs;
using QuantReason.Jobs;

namespace QuantReason.Tests.Cli;

public sealed class EvalCommandTests(CliFixture model) : IClassFixture<CliFixture>, IDisposable
{
    readonly EvalFiles _files = new();
    public void Dispose() => _files.Dispose();

    static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = Commands.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    EvalJob Job(string run, int batch = 1) => new()
    {
        ModelDir = model.Dir, Dataset = _files.Dataset, Prompt = _files.CompletionPrompt, MaxNewTokens = 12, Batch = batch, Out = run,
    };

    [SharedFact]
    public void An_interrupted_greedy_run_resumes_to_the_predictions_of_an_uninterrupted_one()
    {
        var straight = _files.Path2("straight");
        Assert.Equal(0, EvalCommand.Run(Job(straight), CancellationToken.None, NullProgress.Instance));

        var resumed = _files.Path2("resumed");
        using (var cts = new CancellationTokenSource())
            Assert.Equal(130, EvalCommand.Run(Job(resumed, batch: 2), cts.Token, new QuantReason.Tests.Evaluation.Runs.RunFixtures.AfterPredictions(3, cts.Cancel)));
        var interrupted = RunDirectory.ReadManifest(resumed);
        Assert.Equal(RunStatus.Interrupted, interrupted.Status);
        Assert.InRange(interrupted.Counts.Completed, 3, EvalFiles.Problems - 1);

        // The resume runs with a different batch size: batching must not change a greedy prediction.
        Assert.Equal(0, EvalCommand.Run(Job(resumed, batch: 3), CancellationToken.None, NullProgress.Instance));
        Assert.Equal(EvalFiles.Lines(straight), EvalFiles.Lines(resumed));
        var done = RunDirectory.ReadManifest(resumed);
        Assert.Equal((RunStatus.Complete, EvalFiles.Problems), (done.Status, done.Counts.Completed));
        Assert.Equal(interrupted.Created, done.Created);
        Assert.Equal(64, done.Model.Digest!.Length);
        Assert.Equal("in-process", done.Backend.Kind);
    }

    [SharedFact]
    public void The_cli_verb_writes_a_run_and_prints_the_score_table()
    {
        var run = _files.Path2("cli");
        var (code, output, err) = Run("eval", "--model", model.Dir, "--dataset", _files.Dataset, "--prompt", _files.ChatPrompt,
            "--max-new-tokens", "8", "--batch", "3", "--limit", "4", "--tag", "family=fixture", "--out", run);
        Assert.True(code == 0, err);
        Assert.Contains("95% Wilson", output);
        Assert.Contains("4 predictions", output);
        var manifest = RunDirectory.ReadManifest(run);
        Assert.Equal("fixture", manifest.Tags["family"]);
        Assert.Equal("chat", manifest.Prompt.Name);
        var records = RunDirectory.ReadPredictions(Path.Combine(run, RunDirectory.PredictionsFile));
        Assert.Equal(["0", "1", "2", "3"], records.Select(r => r.ProblemId));
        // The fixture tokenizer has no chat template: the plain rendering joins system and user text.
        Assert.StartsWith("Answer briefly.\n\nTom has 2 apples", records[0].Prompt);

        // Rerunning with another prompt over the same directory would mix predictions: refused, naming the run.
        var again = Run("eval", "--model", model.Dir, "--dataset", _files.Dataset, "--prompt", _files.CompletionPrompt,
            "--max-new-tokens", "8", "--limit", "4", "--out", run);
        Assert.Equal(1, again.Code);
        Assert.Contains("different prompt", again.Err);
    }

    [SharedFact]
    public void An_adapter_is_applied_unmerged_and_recorded_in_the_manifest_and_another_one_is_not_resumed()
    {
        var adapter = _files.Path2("adapter");
        var trained = QuantReason.Training.TrainableModel.Load(model.Dir);
        trained.AddLora(new QuantReason.Training.LoraOptions(2, 4f, ["q_proj", "v_proj"], Seed: 1));
        var rng = new Random(2);
        foreach (var l in trained.Linears.Where(l => l.Lora is not null))
            for (int i = 0; i < l.Lora!.B.Value.Length; i++) l.Lora.B.Value[i] = (float)(rng.NextDouble() - 0.5);
        trained.SaveAdapters(adapter, model.Dir);

        var run = _files.Path2("with-adapter");
        var (code, _, err) = Run("eval", "--model", model.Dir, "--adapter", adapter, "--dataset", _files.Dataset, "--prompt", _files.CompletionPrompt,
            "--max-new-tokens", "6", "--limit", "2", "--out", run);
        Assert.True(code == 0, err);
        var manifest = RunDirectory.ReadManifest(run);
        using (var f = File.OpenRead(Path.Combine(adapter, "adapter_model.safetensors")))
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(f)), manifest.Adapter!.Digest);
        Assert.Equal("../adapter", manifest.Adapter.Path);

        // the same run directory without the adapter would mix two models' predictions: refused
        var again = Run("eval", "--model", model.Dir, "--dataset", _files.Dataset, "--prompt", _files.CompletionPrompt,
            "--max-new-tokens", "6", "--limit", "2", "--out", run);
        Assert.Equal(1, again.Code);
        Assert.Contains("different adapter", again.Err);

        // an adapter that does not fit: one line, no stack trace
        File.WriteAllText(Path.Combine(adapter, "adapter_config.json"),
            File.ReadAllText(Path.Combine(adapter, "adapter_config.json")).Replace("\"r\": 2", "\"r\": 3"));
        var bad = Run("generate", "--model", model.Dir, "--adapter", adapter, "--prompt", "x", "--max-new-tokens", "2");
        Assert.Equal(1, bad.Code);
        Assert.Contains("rank mismatch", bad.Err);
        Assert.DoesNotContain("   at ", bad.Err);
    }

    [SharedFact]
    public void A_malformed_dataset_line_is_reported_with_file_and_line_and_is_fatal_under_strict()
    {
        var data = _files.Path2("broken.jsonl");
        var lines = File.ReadAllLines(_files.Dataset).ToList();
        lines.Insert(2, "{\"question\": \"unterminated");
        File.WriteAllLines(data, lines);
        var lenient = Run("eval", "--model", model.Dir, "--dataset", data, "--prompt", _files.CompletionPrompt,
            "--max-new-tokens", "4", "--limit", "2", "--out", _files.Path2("lenient"));
        Assert.True(lenient.Code == 0, lenient.Err);
        Assert.Contains($"warning: {data}:3: malformed JSON", lenient.Err);

        var strict = Run("eval", "--model", model.Dir, "--dataset", data, "--prompt", _files.CompletionPrompt,
            "--max-new-tokens", "4", "--strict", "--out", _files.Path2("strict"));
        Assert.Equal(1, strict.Code);
        Assert.StartsWith($"error: {data}:3: malformed JSON", strict.Err);
    }

    [Fact]
    public void A_dataset_without_its_gold_answer_field_names_the_field()
    {
        var data = _files.Path2("nogold.jsonl");
        File.WriteAllText(data, "{\"problem\": \"What is 1+1?\", \"level\": \"Level 1\", \"type\": \"Algebra\"}\n");
        var (code, _, err) = Run("eval", "--model", "/nonexistent", "--dataset", data, "--out", _files.Path2("r"));
        Assert.Equal(1, code);
        Assert.Contains($"{data}:1", err);
        Assert.Contains("'answer'", err);
        Assert.Contains("'solution'", err);
    }

    [Fact]
    public void Model_and_endpoint_together_or_neither_are_refused()
    {
        var neither = Run("eval", "--dataset", _files.Dataset, "--out", _files.Path2("r"));
        Assert.Equal(1, neither.Code);
        Assert.Contains("exactly one of --model DIR or --endpoint URL", neither.Err);
        var both = Run("eval", "--model", "m", "--endpoint", "http://127.0.0.1:9/v1", "--dataset", _files.Dataset, "--out", _files.Path2("r"));
        Assert.Equal(1, both.Code);
        Assert.Contains("exactly one of", both.Err);
    }

    /// <summary>The shipped model is evaluated with the prompt it was trained with (its quantreason.json) when none is given.</summary>
    [QuantReason.Tests.Jobs.ReferenceModelFact]
    public void Eval_with_only_the_model_uses_the_models_own_prompt()
    {
        var model = QuantReason.Tests.Jobs.StudyRunnerTests.Model;
        var data = _files.Path2("stepmath.jsonl");
        using (var f = File.Create(data))
            QuantReason.Data.StepMath.StepMathJsonl.Write(f, new QuantReason.Data.StepMath.StepMathGenerator(0).Generate(QuantReason.Data.StepMath.StepMathSplit.Test, 5));
        var missing = Run("eval", "--model", model, "--out", _files.Path2("none"));
        Assert.Equal(1, missing.Code);
        Assert.StartsWith("error: --dataset: --dataset is required", missing.Err);

        var run = _files.Path2("stepmath-run");
        var (code, _, err) = Run("eval", "--model", model, "--dataset", data, "--limit", "2", "--max-new-tokens", "96", "--out", run);
        Assert.True(code == 0, err);
        var manifest = RunDirectory.ReadManifest(run);
        Assert.Equal("step-tags", manifest.Prompt.Name);
        Assert.All(RunDirectory.ReadPredictions(Path.Combine(run, RunDirectory.PredictionsFile)), p => Assert.Contains("<|answer_start|>", p.Output));
    }
}
