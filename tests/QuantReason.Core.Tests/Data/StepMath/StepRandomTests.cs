using QuantReason.Data.StepMath;
using QuantReason.Tests;

namespace QuantReason.Tests.Data.StepMath;

public class StepRandomTests
{
    [Fact]
    public void The_sequence_is_fixed_by_the_seed()
    {
        // SplitMix64's published first output for seed 0 (Vigna's reference implementation)
        Assert.Equal(0xE220A8397B1DCDAFUL, new StepRandom(0).NextULong());
        var a = new StepRandom(42);
        var b = new StepRandom(42);
        for (int i = 0; i < 100; i++) Assert.Equal(a.NextULong(), b.NextULong());
        Assert.NotEqual(new StepRandom(1).NextULong(), new StepRandom(2).NextULong());
    }

    [Fact]
    public void Next_covers_its_inclusive_range_uniformly()
    {
        var r = new StepRandom(7);
        var counts = new int[6];
        for (int i = 0; i < 60_000; i++) counts[r.Next(3, 8) - 3]++;
        Assert.All(counts, c => Assert.InRange(c, 9_000, 11_000));
    }

    [Fact]
    public void Streams_of_splits_and_levels_differ()
    {
        var seen = new HashSet<ulong>();
        foreach (var s in Enum.GetValues<StepMathSplit>())
            for (int level = 1; level <= 5; level++)
                Assert.True(seen.Add(StepRandom.For(0, s, level).NextULong()));
    }
}
