using FsCheck;
using FsCheck.Fluent;
using QuantReason.Evaluation;
using QuantReason.Evaluation.Runs;

namespace QuantReason.Tests.Evaluation;

public class ScoringTests
{
    [Theory]
    [InlineData(5, 10, 0.2366, 0.7634)] // textbook values of the Wilson score interval
    [InlineData(0, 10, 0.0, 0.2775)]
    [InlineData(10, 10, 0.7225, 1.0)]
    public void Wilson_interval_matches_published_values(int k, int n, double low, double high)
    {
        var (l, h) = Scoring.Wilson(k, n);
        Assert.Equal(low, l, 4);
        Assert.Equal(high, h, 4);
    }

    static double Choose(int n, int k)
    {
        double r = 1;
        for (var j = 1; j <= k; j++) r = r * (n - k + j) / j;
        return r;
    }

    [Fact]
    public void Pass_at_k_equals_the_combinatorial_definition()
    {
        var gen = from n in Gen.Choose(1, 40) from c in Gen.Choose(0, 40) from k in Gen.Choose(1, 40)
                  where c <= n && k <= n select (n, c, k);
        Prop.ForAll(gen.ToArbitrary(), t =>
            Math.Abs(Scoring.PassAtK(t.n, t.c, t.k) - (1 - Choose(t.n - t.c, t.k) / Choose(t.n, t.k))) < 1e-9).QuickCheckThrowOnFailure();
        Assert.Equal(0.3, Scoring.PassAtK(10, 3, 1), 12);
    }

    [Fact]
    public void Majority_groups_answers_by_equivalence_not_by_string()
    {
        // By string "3" would win (2 votes against 1 each); by value one half has 4 votes.
        string[] answers = ["3", "0.5", "1/2", @"\frac{1}{2}", "3", "2/4"];
        Assert.True(Scoring.MajorityCorrect("0.5", answers));
        Assert.False(Scoring.MajorityCorrect("3", answers));
        Assert.False(Scoring.MajorityCorrect("3", [null, " "]));
        Assert.True(Scoring.MajorityCorrect("7", ["7", "8"])); // a tie goes to the earliest class
    }

    static PredictionRecord P(string id, int sample, bool correct, int level, string subject, string extracted) =>
        new() { ProblemId = id, Sample = sample, Correct = correct, Level = level, Subject = subject, Gold = "1", Extracted = extracted };

    [Fact]
    public void Score_reports_sample_zero_accuracy_by_level_and_subject_and_sampled_metrics()
    {
        var rows = new List<PredictionRecord>
        {
            P("a", 0, true, 1, "Algebra", "1"), P("a", 1, false, 1, "Algebra", "2"),
            P("b", 0, false, 2, "Algebra", "2"), P("b", 1, true, 2, "Algebra", "1"),
            P("c", 0, false, 2, "Geometry", "3"), P("c", 1, false, 2, "Geometry", "3"),
        };
        var s = Scoring.Score(rows);
        Assert.Equal((3, 1), (s.Overall.N, s.Overall.Correct));
        Assert.Equal(["Level 1", "Level 2"], s.ByLevel.Select(c => c.Group));
        Assert.Equal([1, 0], s.ByLevel.Select(c => c.Correct));
        Assert.Equal(["Algebra", "Geometry"], s.BySubject.Select(c => c.Group));
        var k2 = s.Sampled.Single(x => x.K == 2);
        Assert.Equal(2.0 / 3, k2.PassAtK, 12);
        Assert.Equal(1.0 / 3, k2.MajAtK, 12); // a: tie → "1" (earliest) correct; b: tie → "2" wrong; c: wrong
    }
}
