using QuantReason.Evaluation.Runs;
using QuantReason.Judging;
using QuantReason.Data.StepMath;
using QuantReason.Jobs;

namespace QuantReason.Tests.Evaluation.Runs;

public sealed class LabelsWriterTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("qr-labels-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static LabelRecord L(string id, string who = "j") => ErrorLabels.Of(id, 0, who, ["a", "b"], 1, "computation_error", "r", 1, Taxonomy.Default);

    [Fact]
    public void Lines_are_appended_once_and_a_torn_last_line_is_cut_on_reopening()
    {
        var path = Path.Combine(_dir, "labels.jsonl");
        using (var w = LabelsWriter.Open(path))
        {
            w.Append(L("1"));
            w.Append(L("1")); // the same (problem, sample, labeller) again: ignored
            w.Append(L("1", "other"));
        }
        File.AppendAllText(path, """{"problem_id":"2","sam""");
        using (var w = LabelsWriter.Open(path))
        {
            Assert.Equal(22, w.TornBytes);
            Assert.Equal(2, w.Existing.Count);
            Assert.True(w.Contains("1", 0, "other"));
            w.Append(L("2"));
        }
        var all = RunDirectory.ReadLabelFile(path).ToList();
        Assert.Equal(["1", "1", "2"], all.Select(l => l.ProblemId));
        // the v1 type is mapped through the crosswalk, and the steps the index refers to travel with the label
        Assert.Equal(("computational_error", "computation_error", "execution"), (all[0].ErrorType, all[0].ErrorTypeV1, all[0].Category));
        Assert.Equal(["a", "b"], all[0].Steps!);
    }

    [Fact]
    public void A_label_with_a_step_outside_its_solution_is_an_error_naming_the_line()
    {
        var path = Path.Combine(_dir, "bad.jsonl");
        File.WriteAllText(path, """{"problem_id":"1","sample":0,"labeller":"j","num_steps":2,"first_error_step":5,"error_type":null,"error_type_v1":null,"category":null,"explanation":"","confidence":1}""" + "\n");
        var e = Assert.Throws<QuantReasonException>(() => RunDirectory.ReadLabelFile(path).ToList());
        Assert.Contains($"{path}:1", e.Message);
        Assert.Contains("first_error_step within -1..2", e.Message);
    }
}
