using QuantReason.Judging;
using QuantReason.StepMath;
using QuantReason.Tests.StepMath;
using Xunit.Abstractions;

namespace QuantReason.Tests.Judging;

public sealed class VerifierAgreementTests(ITestOutputHelper output)
{
    static ErrorLabel L(string id, int step, string? type) =>
        ErrorLabel.Of(id, 0, "x", ["a", "b", "c"], step, type, "", 1, Taxonomy.Default);

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
    /// The step checker on every embedded StepMath run against the verifier's labels (an exact oracle for this format):
    /// it must find nearly every computational first error at its step, and its computational labels must mostly be
    /// the verifier's (where not, an earlier conceptual error also broke the arithmetic, which the verifier names first).
    /// </summary>
    [Fact]
    public void The_step_checker_finds_the_verifiers_computational_first_errors()
    {
        var runs = Directory.GetDirectories(RepoFiles.PathOf("data", "runs", "stepmath-demo")).Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(runs);
        int comp = 0, found = 0, labelled = 0, right = 0;
        foreach (var run in runs)
        {
            var verifier = ErrorLabel.Read(Path.Combine(run, "labels.jsonl")).ToList();
            var checker = JudgeCase.FromRun(run, failuresOnly: false).Select(c => StepCheckerLabeller.Label(c, Taxonomy.Default)).ToList();
            var a = VerifierAgreement.Of(verifier, checker);
            Assert.Equal(0, a.Missing);
            output.WriteLine($"{Path.GetFileName(run)}: computational {a.ComputationalFound}/{a.Computational}, precision {a.LabelledComputationalRight}/{a.LabelledComputational}, step accuracy {a.StepAccuracy:P1}");
            (comp, found, labelled, right) = (comp + a.Computational, found + a.ComputationalFound, labelled + a.LabelledComputational, right + a.LabelledComputationalRight);
        }
        output.WriteLine($"all: computational first errors found exactly {found}/{comp}; checker's computational labels right {right}/{labelled}");
        Assert.True(found >= 0.99 * comp, $"{found}/{comp}");
        Assert.True(right >= 0.85 * labelled, $"{right}/{labelled}");
    }
}
