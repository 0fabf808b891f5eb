using static QuantReason.Tests.Cli.CliRun;
using System.Security.Cryptography;
using QuantReason.Evaluation.Runs;
using QuantReason.Tests.Jobs;

namespace QuantReason.Tests.Cli;

/// <summary>
/// The README's main command on a small study: it computes afresh into its own folder, never touches the committed
/// reference runs, and reports how its predictions compare with them.
/// </summary>
public sealed class StudyCommandTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("qr-study-cli-").FullName;
    static readonly string Committed = RepoFiles.PathOf("data", "runs", "stepmath-demo");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The committed StepMath study cut to 2 problems per level and the given configurations.</summary>
    string Study(string reference, params string[] configurations)
    {
        var yaml = Path.Combine(_dir, "study.yaml");
        File.WriteAllText(yaml, $"""
            name: tiny
            model: {StudyRunnerTests.Model}
            reference: {reference}
            dataset:
              stepmath: {"{"}split: test, seed: 0, per_level: 2{"}"}
            prompt: step-tags
            max_new_tokens: 96
            batch: 4
            calibration: {"{"}source: stepmath, samples: 8, length: 64, chat_template: true{"}"}
            configurations:
            {string.Join("\n", configurations.Select(c => "  - " + c))}
            """);
        return yaml;
    }

    /// <summary>SHA-256 of every file under a folder, by relative path.</summary>
    static Dictionary<string, string> Digests(string root) =>
        Directory.GetFiles(root, "*", SearchOption.AllDirectories).ToDictionary(
            f => Path.GetRelativePath(root, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));

    [ReferenceModelFact]
    public void A_fresh_study_beside_the_committed_runs_leaves_them_unchanged_and_reports_how_its_predictions_compare()
    {
        var committed = Digests(Committed);
        var model = Digests(StudyRunnerTests.Model);
        var yaml = Study(Committed, "{method: fp}", "{method: rtn, bits: 8, group_size: 32}");
        var outDir = Path.Combine(_dir, "runs");

        var (code, stdout, err) = Run("study", "--config", yaml, "--out", outDir);
        Assert.True(code == 0, err);
        Assert.Equal(committed, Digests(Committed));
        Assert.Equal(model, Digests(StudyRunnerTests.Model));
        foreach (var id in new[] { "stepmath-ref-fp", "stepmath-ref-rtn-w8g32" })
        {
            var fresh = RunDirectory.ReadPredictions(Path.Combine(outDir, id, RunDirectory.PredictionsFile));
            Assert.Equal(10, fresh.Count);
            // the committed run answered the same first problems of every level: each is either identical or differing
            var reference = RunDirectory.ReadPredictions(Path.Combine(Committed, id, RunDirectory.PredictionsFile))
                .ToDictionary(p => p.ProblemId);
            int identical = fresh.Count(p => reference[p.ProblemId].Output == p.Output && reference[p.ProblemId].Correct == p.Correct);
            Assert.Matches($@"│ {id["stepmath-ref-".Length..]}\s+│ {identical}\s+│ {10 - identical}\s+│ {reference.Count - 10}\s+│", stdout);
            // the manifest names its model and dataset relative to the run, not by this machine's absolute paths
            var manifest = RunDirectory.ReadManifest(Path.Combine(outDir, id));
            Assert.False(Path.IsPathRooted(manifest.Model.Path), manifest.Model.Path);
            Assert.False(Path.IsPathRooted(manifest.Dataset.Path), manifest.Dataset.Path);
            Assert.Equal(Path.GetFullPath(id.EndsWith("fp") ? StudyRunnerTests.Model : Path.Combine(outDir, "models", id)),
                Path.GetFullPath(Path.Combine(outDir, id, manifest.Model.Path!)));
        }
        Assert.Contains($"configurations identical prediction for prediction", stdout);
        // the unquantized model reproduces the committed predictions exactly
        Assert.Matches(@"│ fp\s+│ 10\s+│ 0\s+│", stdout);

        // rerunning the same command resumes: no prediction is recomputed (quantized checkpoints are reassembled, reports retimed)
        var before = Digests(outDir);
        var again = Run("study", "--config", yaml, "--out", outDir);
        Assert.True(again.Code == 0, again.Err);
        Assert.Matches(@"│ fp\s+│ 10\s+│ 0\s+│", again.Out);
        static IEnumerable<string> Results(Dictionary<string, string> d) =>
            d.Where(kv => !kv.Key.EndsWith(RunDirectory.ManifestFile) && !kv.Key.StartsWith("models")).Select(kv => $"{kv.Key} {kv.Value}").Order(StringComparer.Ordinal);
        Assert.Equal(Results(before), Results(Digests(outDir)));
        Assert.Equal(committed, Digests(Committed));
    }

    [ReferenceModelFact]
    public void Update_reference_regenerates_the_reference_folder_and_reports_what_changed()
    {
        var source = Path.Combine(Committed, "stepmath-ref-fp");
        var reference = Path.Combine(_dir, "reference");
        Directory.CreateDirectory(Path.Combine(reference, "stepmath-ref-fp"));
        foreach (var f in Directory.GetFiles(source)) File.Copy(f, Path.Combine(reference, "stepmath-ref-fp", Path.GetFileName(f)));
        var yaml = Study(reference, "{method: fp}");

        Assert.Contains("leave out --out", Run("study", "--config", yaml, "--update-reference", "--out", _dir).Err);
        var (code, stdout, err) = Run("study", "--config", yaml, "--update-reference");
        Assert.True(code == 0, err);
        // computed afresh (the 1,500 copied predictions are gone), compared with what the folder held before
        Assert.Equal(10, RunDirectory.ReadPredictions(Path.Combine(reference, "stepmath-ref-fp", RunDirectory.PredictionsFile)).Count);
        Assert.Matches(@"│ fp\s+│ 10\s+│ 0\s+│ 1490\s+│", stdout);
        Assert.Contains("the regenerated runs against the previous reference", stdout);
    }
}
