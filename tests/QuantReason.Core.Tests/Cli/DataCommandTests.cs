using QuantReason.Cli;

namespace QuantReason.Tests.Cli;

public class DataCommandTests
{
    [Fact]
    public void An_unknown_dataset_exits_with_an_error() => Assert.Equal(1, Commands.Run(["data", "fetch", "mmlu"]));

    [SharedFact]
    public void List_reads_a_data_directory() => Assert.Equal(0, Commands.Run(["data", "list", "--data-dir", Shared.PathOf("data")]));
}
