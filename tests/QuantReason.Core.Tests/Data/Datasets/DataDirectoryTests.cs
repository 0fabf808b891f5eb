using QuantReason.Data.Datasets;
using QuantReason.Tests;
using QuantReason.Tests.Evaluation;

namespace QuantReason.Tests.Data.Datasets;

public class DataDirectoryTests
{
    [Fact]
    public void Option_wins_over_the_environment_which_wins_over_the_default()
    {
        var saved = Environment.GetEnvironmentVariable(DataDirectory.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(DataDirectory.EnvironmentVariable, "/tmp/from-env");
            Assert.Equal(Path.GetFullPath("/tmp/from-option"), DataDirectory.Resolve("/tmp/from-option"));
            Assert.Equal(Path.GetFullPath("/tmp/from-env"), DataDirectory.Resolve(null));
            Environment.SetEnvironmentVariable(DataDirectory.EnvironmentVariable, null);
            Assert.EndsWith(Path.Combine("quantreason", "datasets"), DataDirectory.Resolve(null));
        }
        finally { Environment.SetEnvironmentVariable(DataDirectory.EnvironmentVariable, saved); }
    }
}
