using QuantReason.Training;

namespace QuantReason.Tests.Training;

public class LrScheduleTests
{
    [Fact]
    public void Warmup_rises_linearly_then_cosine_falls_to_the_floor()
    {
        var s = new LrSchedule(1e-3f, 10, 111, 0.1f);
        Assert.Equal(1e-4f, s.At(0), 8);
        Assert.Equal(1e-3f, s.At(9), 8);
        Assert.Equal(1e-3f, s.At(10), 8);
        Assert.Equal(1e-4f, s.At(110), 8);
        Assert.Equal(0.55e-3, s.At(60), 6); // halfway through the decay
        for (int i = 10; i < 110; i++) Assert.True(s.At(i + 1) <= s.At(i));
        for (int i = 0; i < 9; i++) Assert.True(s.At(i + 1) > s.At(i));
    }

    [Fact]
    public void Impossible_schedules_are_rejected()
    {
        Assert.Throws<QuantReasonException>(() => new LrSchedule(1e-3f, 20, 10).Validate());
        Assert.Throws<QuantReasonException>(() => new LrSchedule(0f, 0, 10).Validate());
        Assert.Throws<QuantReasonException>(() => new LrSchedule(1e-3f, 0, 10, 2f).Validate());
    }
}
