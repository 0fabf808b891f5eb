using QuantReason.Data.StepMath;
using QuantReason.Tests;

namespace QuantReason.Tests.Data.StepMath;

public class StepMathItemTests
{
    [Fact]
    public void Ids_format_and_parse_back()
    {
        Assert.Equal("stepmath/test/3/00017", StepMathItem.FormatId(StepMathSplit.Test, 3, 17));
        Assert.True(StepMathItem.TryParseId("stepmath/validation/5/123456", out var split, out var level, out var index));
        Assert.Equal((StepMathSplit.Validation, 5, 123456), (split, level, index));
    }

    [Theory]
    [InlineData("stepmath/dev/3/00017")]
    [InlineData("stepmath/test/6/00017")]
    [InlineData("stepmath/test/3/-1")]
    [InlineData("test/precalculus/807.json")]
    [InlineData("stepmath/test/3")]
    public void Other_ids_are_not_StepMath_ids(string id) => Assert.False(StepMathItem.TryParseId(id, out _, out _, out _));
}
