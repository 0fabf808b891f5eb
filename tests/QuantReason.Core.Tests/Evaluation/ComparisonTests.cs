using FsCheck;
using FsCheck.Fluent;
using QuantReason.Evaluation;
using QuantReason.Evaluation.Runs;

namespace QuantReason.Tests.Evaluation;

public class ComparisonTests
{
    [Theory]
    [InlineData(3, 12, 0.03515625)]  // 2·(1+15+105+455)/2^15
    [InlineData(0, 5, 0.0625)]        // 2/2^5
    [InlineData(4, 4, 1.0)]
    [InlineData(0, 0, 1.0)]
    public void McNemar_exact_p_values(int b, int c, double p) => Assert.Equal(p, Comparison.McNemarExact(b, c), 12);

    [Fact]
    public void McNemar_is_symmetric_and_agrees_with_the_normal_approximation_for_large_counts()
    {
        var gen = from b in Gen.Choose(0, 300) from c in Gen.Choose(0, 300) select (b, c);
        Prop.ForAll(gen.ToArbitrary(), t => Comparison.McNemarExact(t.b, t.c) == Comparison.McNemarExact(t.c, t.b)).QuickCheckThrowOnFailure();
        // b=400, c=500: z = 100/sqrt(900) with continuity correction ≈ 3.30 → two-sided p ≈ 0.00096.
        Assert.InRange(Comparison.McNemarExact(400, 500), 0.0008, 0.0012);
    }

    [Fact]
    public void Bootstrap_interval_contains_the_observed_delta_and_is_seeded()
    {
        var rng = new Random(3);
        var baseline = Enumerable.Range(0, 400).Select(_ => rng.NextDouble() < 0.6).ToList();
        var candidate = baseline.Select(b => b && rng.NextDouble() > 0.2).ToList();
        var delta = 100.0 * (baseline.Count(x => x) - candidate.Count(x => x)) / 400; // points lost
        var (lo, hi) = Comparison.BootstrapDelta(baseline, candidate, 4000, seed: 1);
        Assert.InRange(delta, lo, hi);
        Assert.True(lo > 0, "a candidate that only loses answers has a positive interval of points lost");
        // Standard error of a mean of paired differences: the interval is about ±1.96·sd/√n.
        var diffs = candidate.Zip(baseline, (c, b) => (b ? 1.0 : 0) - (c ? 1.0 : 0)).ToList();
        var sd = Math.Sqrt(diffs.Sum(d => Math.Pow(d - diffs.Average(), 2)) / (diffs.Count - 1));
        Assert.Equal(2 * 1.96 * 100 * sd / Math.Sqrt(400), hi - lo, 0.6);
        Assert.Equal((lo, hi), Comparison.BootstrapDelta(baseline, candidate, 4000, seed: 1));
    }

    static List<PredictionRecord> Run(params bool[] correct) =>
        correct.Select((c, i) => new PredictionRecord { ProblemId = $"p{i}", Gold = "1", Correct = c }).ToList();

    [Fact]
    public void Paired_scores_deltas_and_exports()
    {
        var baseline = Run(true, true, true, true, false, true, true, true, false, true);   // 80 %
        var candidate = Run(true, false, true, false, false, true, true, true, true, true);  // 70 %
        var row = Comparison.Compare("Llama-3.2-1B_x", "gptq", 4, baseline, candidate, 2000);
        Assert.Equal((80.0, 70.0), (row.BaselineScore, row.Score));
        Assert.Equal(10.0, row.Delta, 9); // points lost, as the study and the README report Δ
        Assert.Equal(12.5, row.DeltaPercent, 9);
        Assert.Equal((2, 1), (row.BaselineOnly, row.CandidateOnly));
        Assert.Equal(1.0, row.McNemarP, 12); // 2·(1+3)/2³ capped at 1

        var md = Comparison.ToMarkdown([row]);
        Assert.Contains("| Llama-3.2-1B_x | gptq | 4 | 10 | 80.00 | 70.00 | 10.00 | 12.50 | 1.0000 |", md);
        var csv = Comparison.ToCsv([row]).Split('\n');
        Assert.StartsWith("model,method,bits,n,baseline,score,points_lost,percent_lost", csv[0]);
        Assert.StartsWith("Llama-3.2-1B_x,gptq,4,10,80,70,10,12.5,2,1,1,", csv[1]);
        var tex = Comparison.ToLatex([row]);
        Assert.Contains("\\toprule", tex);
        Assert.Contains("\\midrule", tex);
        Assert.Contains("\\bottomrule", tex);
        Assert.Contains("Llama-3.2-1B\\_x & gptq & 4 & 10 & 80.00 & 70.00 & 10.00", tex);
    }

    [Fact]
    public void Runs_with_no_common_problem_are_an_error()
    {
        var a = Run(true);
        var b = new List<PredictionRecord> { new() { ProblemId = "other", Gold = "1" } };
        Assert.Throws<QuantReasonException>(() => Comparison.Compare("m", "rtn", 4, a, b));
    }
}
