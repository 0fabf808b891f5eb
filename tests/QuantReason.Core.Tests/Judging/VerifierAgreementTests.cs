using QuantReason.Evaluation.Runs;
using QuantReason.Judging;
using QuantReason.Data.StepMath;
using QuantReason.Jobs;
using Xunit.Abstractions;

namespace QuantReason.Tests.Judging;

public sealed class VerifierAgreementTests(ITestOutputHelper output)
{
    static LabelRecord L(string id, int step, string? type) =>
        ErrorLabels.Of(id, 0, "x", ["a", "b", "c"], step, type, "", 1, Taxonomy.Default);

    [Fact]
    public void Step_type_and_category_agreement_are_counted_per_solution()
    {
        var verifier = new[] { L("1", -1, null), L("2", 1, "computational_error"), L("3", 0, "misunderstanding_of_problem"), L("4", 2, "computational_error") };
        var labeller = new[] { L("1", -1, null), L("2", 1, "computational_error"), L("3", 0, "computational_error") };
        var a = VerifierAgreement.Of(verifier, labeller);
        Assert.Equal((3, 3, 1, 2), (a.Compared, a.StepHits, a.Missing, a.Erroneous));
        Assert.Equal(1, a.TypeHits);
        Assert.Equal((1, 1, 2, 1), (a.Computational, a.ComputationalFound, a.LabelledComputational, a.LabelledComputationalRight));
        Assert.Equal(1, a.Confusion[("conceptual", "execution")]);
        Assert.Equal(1, a.Confusion[("none", "none")]);
    }

    /// <summary>
    /// The step checker on each embedded StepMath run against the verifier's labels (an exact oracle for this format):
    /// it must find every computational first error at its step, and its computational labels must mostly be the
    /// verifier's (where not, an earlier conceptual or format error also broke the arithmetic, which the verifier names
    /// first; the 2-bit run has most of those).
    /// </summary>
    [Theory]
    [MemberData(nameof(Runs))]
    public void The_step_checker_finds_the_verifiers_computational_first_errors(string run)
    {
        var dir = RepoFiles.PathOf("data", "runs", "stepmath-demo", run);
        var verifier = RunDirectory.ReadLabelFile(Path.Combine(dir, "labels.jsonl")).ToList();
        var checker = JudgeCase.FromRun(dir, failuresOnly: false).Select(c => StepCheckerLabeller.Label(c, Taxonomy.Default)).ToList();
        var a = VerifierAgreement.Of(verifier, checker);
        output.WriteLine($"{run}: computational first errors found exactly {a.ComputationalFound}/{a.Computational}, " +
                         $"checker's computational labels right {a.LabelledComputationalRight}/{a.LabelledComputational}, step accuracy {a.StepAccuracy:P1}");
        Assert.Equal(0, a.Missing);
        Assert.True(a.Computational > 0);
        Assert.Equal(a.Computational, a.ComputationalFound);
        Assert.True(a.LabelledComputationalRight >= 0.75 * a.LabelledComputational, $"{a.LabelledComputationalRight}/{a.LabelledComputational}");
    }

    public static TheoryData<string> Runs()
    {
        var data = new TheoryData<string>();
        // the labelled runs only: the folder also holds the restoration's pairs (and, locally, git-ignored models)
        foreach (var d in Directory.GetDirectories(RepoFiles.PathOf("data", "runs", "stepmath-demo")).Order(StringComparer.Ordinal))
            if (File.Exists(Path.Combine(d, RunDirectory.ManifestFile)) && File.Exists(Path.Combine(d, RunDirectory.LabelsFile))) data.Add(Path.GetFileName(d));
        return data;
    }
}
