using QuantReason.Data.StepMath;
using QuantReason.Tests;

namespace QuantReason.Tests.Data.StepMath;

public class StepMathSplitTests
{
    [Fact]
    public void The_hash_gives_test_and_validation_a_tenth_each()
    {
        var counts = new int[3];
        for (int a = 0; a < 200; a++)
            for (int b = 0; b < 200; b++)
                counts[(int)StepMathSplits.Of($"{a}+{b}")]++;
        Assert.InRange(counts[(int)StepMathSplit.Test] / 40000.0, 0.09, 0.11);
        Assert.InRange(counts[(int)StepMathSplit.Validation] / 40000.0, 0.09, 0.11);
    }

    [Fact]
    public void Names_round_trip_and_unknown_names_are_errors()
    {
        foreach (var s in Enum.GetValues<StepMathSplit>()) Assert.Equal(s, StepMathSplits.Parse(s.Name()));
        var e = Assert.Throws<QuantReasonException>(() => StepMathSplits.Parse("dev", "--split"));
        Assert.Contains("dev", e.Message);
    }
}
