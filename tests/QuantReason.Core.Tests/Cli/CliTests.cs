using static QuantReason.Tests.Cli.CliRun;

namespace QuantReason.Tests.Cli;

public sealed class CliTests
{
    /// <summary>A thread count that is not a whole number in 1..max is refused with one line naming --threads, by every verb.</summary>
    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    [InlineData("abc")]
    [InlineData("2.5")]
    [InlineData("100000")]
    public void A_bad_thread_count_is_refused_naming_the_flag(string value)
    {
        foreach (var args in new[] { new[] { "inspect", "--model", "/nonexistent", "--threads", value }, ["--threads", value, "stepmath", "generate", "--split", "test", "--n", "1", "--out", "/nonexistent/x.jsonl"] })
        {
            var (code, stdout, err) = Run(args);
            Assert.Equal(1, code);
            Assert.Equal($"error: --threads: expected a whole number of threads from 1 to {QuantReason.Cli.Cli.MaxThreads} (this machine has {Environment.ProcessorCount} cores), got '{value}'",
                err.TrimEnd());
            Assert.Equal("", stdout);
        }
    }

    [Fact]
    public void A_good_thread_count_is_taken()
    {
        Assert.Equal(3, QuantReason.Cli.Cli.ParseThreads("3", "--threads"));
        Assert.Equal(QuantReason.Cli.Cli.MaxThreads, QuantReason.Cli.Cli.ParseThreads($"{QuantReason.Cli.Cli.MaxThreads}", "--threads"));
    }
}
