using QuantReason.Serving;

namespace QuantReason.Tests.Serving;

public class LoadBenchTests
{
    [Fact]
    public void Percentiles_are_nearest_rank()
    {
        var sorted = Enumerable.Range(1, 100).Select(i => (double)i).ToList();
        Assert.Equal(50, LoadBench.Percentile(sorted, 0.50));
        Assert.Equal(90, LoadBench.Percentile(sorted, 0.90));
        Assert.Equal(99, LoadBench.Percentile(sorted, 0.99));
        Assert.Equal(7, LoadBench.Percentile([7.0], 0.99));
        Assert.True(double.IsNaN(LoadBench.Percentile([], 0.5)));
    }

    [Fact]
    public void Bad_options_are_refused_naming_the_flag()
    {
        var e = Assert.Throws<QuantReasonException>(() => new LoadBenchOptions { Concurrency = 0 }.Validate());
        Assert.Contains("--concurrency", e.Message);
    }
}
