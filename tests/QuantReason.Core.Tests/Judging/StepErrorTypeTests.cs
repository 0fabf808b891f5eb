using QuantReason.Judging;
using QuantReason.Tests;

namespace QuantReason.Tests.Judging;

public class StepErrorTypeTests
{
    [Fact]
    public void Seven_v1_types_each_with_a_distinct_id()
    {
        Assert.Equal(7, StepErrorTypes.V1Types.Count);
        Assert.Equal(7, StepErrorTypes.V1Types.Select(t => t.V1Id()).Distinct().Count());
        Assert.All(StepErrorTypes.V1Types, t => Assert.Matches("^[a-z_]+$", t.V1Id()!));
        Assert.Equal(Enum.GetValues<StepErrorType>().Length - 2, StepErrorTypes.V1Types.Count); // plus none and format
    }
}
