using QuantReason.Judging;
using Xunit.Abstractions;

namespace QuantReason.Tests.Judging;

public sealed class StepCheckerTests(ITestOutputHelper output)
{
    [Fact]
    public void The_first_false_equality_marks_its_step()
    {
        var c = StepChecker.Check(["We need 48 boxes of 27.", @"That is \(48 \times 27 = 1286\) items.", "Then 1286 + 10 = 1296."]);
        Assert.Equal(1, c.FirstErrorStep);
        Assert.Equal(@"48 \times 27 = 1286", c.Equality!.ToString());
        Assert.Contains("1296", c.Explanation);
    }

    [Fact]
    public void Restated_left_sides_and_aligned_lines_chain_their_right_sides()
    {
        Assert.Equal(0, StepChecker.Check([@"\[ \text{Total} = 52 + 24 \] so \[ \text{Total} = 75 \]"]).FirstErrorStep);
        Assert.Equal(0, StepChecker.Check([@"\[\begin{aligned} y &= 50 - (10 + 5) \\ &= 50 - 14 \end{aligned}\]"]).FirstErrorStep);
        Assert.Equal(-1, StepChecker.Check([@"\[ \text{Total} = 52 + 24 \] so \[ \text{Total} = 76 \]", "$x + 2 = 10$, $x = 8$", @"\[ \text{Total} = 720 \times 24 \times 120 \times 6 \] \[ \text{Total} = 720 \times 24 = 17280 \]", @"so \(x = 2\) or \(x = 3\), and \(\begin{pmatrix} 1 & 2 \end{pmatrix} = \begin{pmatrix} 1 & 2 \end{pmatrix}\)"]).FirstErrorStep);
    }

    [Fact]
    public void A_solution_whose_equalities_all_hold_is_unflagged()
    {
        var c = StepChecker.Check(["Let $x = 5$.", @"Then $3x + 2x = 5x = 25$.", "So 25 / 2 ≈ 12.5 and 10/3 = 3.33."]);
        Assert.Equal(-1, c.FirstErrorStep);
        Assert.True(c.EqualitiesChecked >= 2);
    }

    /// <summary>
    /// The checker against ProcessBench's human labels with ProcessBench's metric. It sees only arithmetic, so error
    /// accuracy is low by design; what it must keep is correct accuracy (few false alarms on solutions the experts
    /// passed) and precision (a flag mostly sits on the experts' step). Thresholds sit under the measured figures
    /// (README) so a change that raises false alarms fails here.
    /// </summary>
    [SharedTheory]
    [MemberData(nameof(Splits))]
    public void On_ProcessBench_it_rarely_cries_wolf(string file)
    {
        var items = ProcessBenchItem.Load(Shared.PathOf("data", "processbench", file));
        var predicted = items.ToDictionary(i => i.Id, i => StepChecker.Check(i.Steps));
        var score = Assert.Single(ProcessBenchScore.Of(items, i => predicted[i.Id].FirstErrorStep));
        var flagged = items.Where(i => predicted[i.Id].FoundError).ToList();
        var exact = flagged.Count(i => predicted[i.Id].FirstErrorStep == i.Label);
        var early = flagged.Count(i => i.Label < 0 || predicted[i.Id].FirstErrorStep < i.Label);
        output.WriteLine($"{score.Split}: error_acc {score.ErrorAccuracy:F1}, correct_acc {score.CorrectAccuracy:F1}, f1 {score.F1:F1}; " +
                         $"flagged {flagged.Count}, exact {exact}, before the experts' step {early}");
        if (Environment.GetEnvironmentVariable("QUANTREASON_DUMP_FALSE_ALARMS") is { Length: > 0 } dump)
            File.WriteAllLines(Path.Combine(dump, score.Split + ".txt"), flagged.Where(i => i.Label < 0 || predicted[i.Id].FirstErrorStep < i.Label)
                .Select(i => $"{i.Id} label {i.Label} flagged {predicted[i.Id].FirstErrorStep}: {predicted[i.Id].Explanation}"));
        Assert.True(score.CorrectAccuracy >= 99, $"correct_acc {score.CorrectAccuracy:F1}");
        Assert.True(flagged.Count > 0 && early <= flagged.Count / 10, $"{early} of {flagged.Count} flags before the experts' step");
    }

    public static TheoryData<string> Splits => Shared.Files("*.json", "data", "processbench");
}
