using QuantReason.Data.StepMath;
using QuantReason.Tests;

namespace QuantReason.Tests.Data.StepMath;

public class LengthReportTests
{
    [Fact]
    public void Summaries_are_order_statistics_of_the_token_lengths()
    {
        var items = new StepMathGenerator(0).Generate(StepMathSplit.Train, 1000).ToList();
        var report = new LengthReport();
        items.ForEach(report.Add);
        foreach (var l in report.Levels())
        {
            var lengths = items.Where(i => i.Level == l.Level).Select(i => i.Problem.Text.Length + SolutionFormat.TokenLength(i.Problem.Solution)).Order().ToList();
            Assert.Equal((lengths.Count, lengths[0], lengths[^1], lengths[lengths.Count / 2]), (l.Count, l.Min, l.Max, l.Median));
            Assert.InRange(l.P95, l.Median, l.Max);
            Assert.Equal(lengths.Count(x => x <= 96) / (double)lengths.Count, l.ShareWithin96);
        }
        Assert.Equal(5, report.Levels().Count);
    }
}
