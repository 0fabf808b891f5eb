using System.Text.Json;
using QuantReason.Evaluation.Runs;
using Xunit;
using QuantReason.Jobs;
using QuantReason.Tests;

namespace QuantReason.Tests.Jobs;

/// <summary>The main job end to end on the shipped StepMath reference model, on a few problems per level.</summary>
public class StudyRunnerTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("qr-study-run-").FullName;
    internal static readonly string Model = RepoFiles.PathOf("data", "models", "stepmath-ref");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A study of the reference model on 10 test problems (2 per level) with the step-tag prompt, at
    /// <paramref name="batch"/>, then <paramref name="rest"/> (calibration, configurations); loaded from its file.</summary>
    StudySpec Study(int batch, string rest)
    {
        var yaml = Path.Combine(_dir, "study.yaml");
        File.WriteAllText(yaml, $"""
            model: {Model}
            dataset:
              stepmath: {"{"}split: test, seed: 0, per_level: 2{"}"}
            prompt: step-tags
            max_new_tokens: 96
            batch: {batch}

            """ + rest);
        return StudySpec.Load(yaml);
    }

    [ReferenceModelFact]
    public async Task Quantizes_evaluates_labels_and_resumes_without_change()
    {
        var spec = Study(4, """
            calibration: {source: stepmath, samples: 8, length: 64, chat_template: true}
            configurations:
              - {method: fp}
              - {method: rtn, bits: 8, group_size: 32}
              - {method: gptq, bits: 4, group_size: 32}
            """);
        var runs = Path.Combine(_dir, "runs");
        var rows = await StudyRunner.RunAsync(spec, runs, NullProgress.Instance, _ => { });

        Assert.Equal(["stepmath-ref-fp", "stepmath-ref-rtn-w8g32", "stepmath-ref-gptq-w4g32"], rows.Select(r => r.RunId));
        var digests = new HashSet<string?>();
        foreach (var row in rows)
        {
            var manifest = RunDirectory.ReadManifest(row.RunDir);
            Assert.Equal("stepmath-ref", manifest.Model.Name);
            Assert.Equal(row.Quantization?.Bits, manifest.Quantization?.Bits);
            Assert.Equal(row.Quantization?.Method.ToString().ToLowerInvariant(), manifest.Quantization?.Method);
            Assert.Equal(row.Quantization is null, manifest.Quantization is null);
            digests.Add(manifest.Dataset.Digest);
            var predictions = RunDirectory.ReadPredictions(Path.Combine(row.RunDir, RunDirectory.PredictionsFile));
            Assert.Equal(10, predictions.Count);
            var labels = File.ReadAllLines(Path.Combine(row.RunDir, "labels.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
            Assert.Equal(predictions.Select(p => p.ProblemId), labels.Select(l => l.GetProperty("problem_id").GetString()));
            // a chain the verifier finds no error in must end in the right answer
            foreach (var (p, l) in predictions.Zip(labels))
                if (l.GetProperty("first_error_step").GetInt32() == -1) Assert.True(p.Correct, $"{row.RunId} {p.ProblemId}: verified but graded wrong");
        }
        Assert.Single(digests);

        var before = rows.Select(r => File.ReadAllBytes(Path.Combine(r.RunDir, RunDirectory.PredictionsFile))).ToList();
        var again = await StudyRunner.RunAsync(spec, runs, NullProgress.Instance, _ => { });
        Assert.Equal(before, again.Select(r => File.ReadAllBytes(Path.Combine(r.RunDir, RunDirectory.PredictionsFile))));
    }

    [ReferenceModelFact, Trait("Category", "Slow")]
    public async Task Restores_a_configuration_records_the_stages_and_resumes_without_retraining()
    {
        var spec = Study(8, """
            configurations:
              - {method: fp}
              - method: rtn
                bits: 2
                group_size: 32
                restore:
                  align: {problems: 16, batch: 8, rank: 4}
                  pairs: {n: 6, from: [rtn-w2g32], per_level: 4}
                  dpo: {rank: 4, epochs: 1, batch: 4}
                  subsets: [all, method]
            """);
        var runs = Path.Combine(_dir, "runs");
        var warnings = new List<string>();
        var rows = await StudyRunner.RunAsync(spec, runs, NullProgress.Instance, warnings.Add);

        // the method subset of 20 training problems is empty: a warning, the rest of the ablation stands
        Assert.Equal(["stepmath-ref-fp", "stepmath-ref-rtn-w2g32", "stepmath-ref-rtn-w2g32-aligned", "stepmath-ref-rtn-w2g32-dpo-all"],
            rows.Select(r => r.RunId));
        Assert.Contains(warnings, w => w.Contains("subset 'method'"));
        var aligned = RunDirectory.ReadManifest(rows[2].RunDir);
        Assert.Equal("align", aligned.Training!.Stage);
        Assert.Equal("stepmath-ref-rtn-w2g32", aligned.Training.BaseRun);
        Assert.Equal("rtn", aligned.Quantization!.Method); // the restored run keeps its base's quantization for the analysis
        var dpo = RunDirectory.ReadManifest(rows[3].RunDir);
        Assert.Equal(("dpo", "dpo", "all"), (dpo.Training!.Method, dpo.Training.Stage, dpo.Training.Subset));
        var pairs = Path.GetFullPath(Path.Combine(rows[3].RunDir, dpo.Training.PairsFile!));
        Assert.Equal(PairBuilder.Sha256(pairs), dpo.Training.PairsSha256);
        Assert.Equal(File.ReadLines(pairs).Count(), dpo.Training.Pairs);
        Assert.InRange(dpo.Training.Pairs!.Value, 1, 6);
        Assert.Equal(0.1, dpo.Training.Hyperparameters!["beta"]);
        // the pairs came from the training split, never the evaluated one
        Assert.All(File.ReadLines(pairs), l => Assert.Contains("stepmath/train/", l));

        var models = Path.Combine(runs, "models");
        string[] stages = ["stepmath-ref-rtn-w2g32-aligned", "stepmath-ref-rtn-w2g32-dpo-all"];
        var written = stages.Select(s => File.GetLastWriteTimeUtc(Path.Combine(models, s, "model.safetensors"))).ToList();
        Assert.All(stages, s => Assert.NotNull(RestorationJob.Finished(Path.Combine(models, s))));
        var before = rows.Select(r => File.ReadAllBytes(Path.Combine(r.RunDir, RunDirectory.PredictionsFile))).ToList();
        var again = await StudyRunner.RunAsync(spec, runs, NullProgress.Instance, _ => { });
        Assert.Equal(written, stages.Select(s => File.GetLastWriteTimeUtc(Path.Combine(models, s, "model.safetensors"))));
        Assert.Equal(before, again.Select(r => File.ReadAllBytes(Path.Combine(r.RunDir, RunDirectory.PredictionsFile))));
    }
}

/// <summary>A fact that needs the committed reference model (skipped, saying how to make it, where it is absent).</summary>
public sealed class ReferenceModelFactAttribute : FactAttribute
{
    public ReferenceModelFactAttribute()
    {
        if (!File.Exists(Path.Combine(StudyRunnerTests.Model, "model.safetensors")))
            Skip = $"the reference model is not in {StudyRunnerTests.Model}; `quantreason train --config data/models/stepmath-ref/train.yaml` makes it";
    }
}

/// <summary>A theory that needs the committed reference model (skipped, saying how to make it, where it is absent).</summary>
public sealed class ReferenceModelTheoryAttribute : TheoryAttribute
{
    public ReferenceModelTheoryAttribute()
    {
        if (!File.Exists(Path.Combine(StudyRunnerTests.Model, "model.safetensors")))
            Skip = $"the reference model is not in {StudyRunnerTests.Model}; `quantreason train --config data/models/stepmath-ref/train.yaml` makes it";
    }
}
