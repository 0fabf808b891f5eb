using QuantReason.Data.StepMath;
using QuantReason.Tests;

namespace QuantReason.Tests.Data.StepMath;

public class StepMathOptionsTests
{
    [Fact]
    public void Bad_options_are_rejected_once_at_the_boundary()
    {
        Assert.Throws<QuantReasonException>(() => new StepMathGenerator(0, new StepMathOptions { WordFraction = 1.5 }));
        Assert.Throws<QuantReasonException>(() => new StepMathGenerator(0, new StepMathOptions { MaxTokens = 3 }));
    }

    [Fact]
    public void Defaults_are_valid_and_unchanged_by_validation()
    {
        var o = new StepMathOptions();
        Assert.Same(o, o.Validate());
        Assert.Equal((0.3, 94, 9999L), (o.WordFraction, o.MaxTokens, o.MaxMagnitude));
    }
}
