using QuantReason.Evaluation.Runs;
using QuantReason.Judging;
using QuantReason.Data.StepMath;
using QuantReason.Jobs;

namespace QuantReason.Tests.Judging;

public sealed class AgreementTests
{
    /// <summary>The worked example of Fleiss (1971) as reproduced on Wikipedia: 10 subjects, 14 raters, 5 categories; κ = 0.210.</summary>
    [Fact]
    public void Fleiss_kappa_matches_the_worked_example()
    {
        int[][] table =
        [
            [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
            [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
        ];
        Assert.Equal(0.210, Agreement.Fleiss(table), 3);
    }

    /// <summary>Cohen's worked example (Wikipedia): 50 proposals, yes/yes 20, yes/no 5, no/yes 10, no/no 15 → p_o 0.7, p_e 0.5, κ 0.4.</summary>
    [Fact]
    public void Cohen_kappa_matches_the_worked_example()
    {
        var pairs = Enumerable.Repeat((true, true), 20).Concat(Enumerable.Repeat((true, false), 5))
            .Concat(Enumerable.Repeat((false, true), 10)).Concat(Enumerable.Repeat((false, false), 15)).ToList();
        Assert.Equal(0.4, Agreement.Cohen(pairs), 12);
    }

    static LabelRecord L(string id, string who, int step) => ErrorLabels.Of(id, 0, who, ["s0", "s1", "s2"], step, step < 0 ? null : "computational_error", "", 1, Taxonomy.Default);

    /// <summary>
    /// Two judges on four cases: (0,0), (1,1), (0,1), (−1,−1). By hand: P_i = 1, 1, 0, 1 so P̄ = 0.75; category shares
    /// −1: 2/8, 0: 3/8, 1: 3/8 so P̄e = 0.34375; κ = (0.75 − 0.34375)/(1 − 0.34375) = 0.6190476. Panel vs human on three
    /// verdicts (0/0, 1/1, 0/1): p_o = 2/3, p_e = (2/3·1/3 + 1/3·2/3) = 4/9, κ = (2/3 − 4/9)/(5/9) = 0.4.
    /// </summary>
    [Fact]
    public void A_labels_file_gives_the_hand_computed_statistics()
    {
        var labels = new List<LabelRecord>
        {
            L("1", "a", 0), L("1", "b", 0), L("1", "panel", 0), L("1", "human", 0),
            L("2", "a", 1), L("2", "b", 1), L("2", "panel", 1), L("2", "human", 1),
            L("3", "a", 0), L("3", "b", 1), L("3", "panel", 0), L("3", "human", 1),
            L("4", "a", -1), L("4", "b", -1), L("4", "panel", -1),
        };
        var r = Agreement.Of(labels, "panel", ["a", "b"]);
        Assert.Equal(0.6190476, r.FleissKappa, 6);
        Assert.Equal(4, r.FleissSubjects);
        Assert.Equal(0.4, r.CohenKappa, 9);
        Assert.Equal(3, r.CohenN);
        var a = r.Judges.Single(j => j.Judge == "a");
        Assert.Equal((4, 4, 3, 2), (a.VsPanelN, a.VsPanelHits, a.VsHumanN, a.VsHumanHits));
        var b = r.Judges.Single(j => j.Judge == "b");
        Assert.Equal((4, 3, 3, 3), (b.VsPanelN, b.VsPanelHits, b.VsHumanN, b.VsHumanHits));
    }
}
