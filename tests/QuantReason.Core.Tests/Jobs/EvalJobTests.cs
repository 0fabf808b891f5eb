using QuantReason.Evaluation.Runs;
using QuantReason.Jobs;
using QuantReason.Tests;
using QuantReason.Tests.Evaluation;
using QuantReason.Tests.Evaluation.Runs;

namespace QuantReason.Tests.Jobs;

public class EvalJobTests
{
    static EvalJob Job => new() { ModelDir = "m", Dataset = "d", Out = "o" };

    [Theory]
    [InlineData("limit", "--limit")]
    [InlineData("samples", "--samples")]
    [InlineData("temperature", "--temperature")]
    [InlineData("top-p", "--top-p")]
    [InlineData("max-new-tokens", "--max-new-tokens")]
    [InlineData("batch", "--batch")]
    [InlineData("greedy-samples", "--samples")]
    public void Each_bad_setting_is_refused_naming_its_flag(string what, string flag)
    {
        var job = what switch
        {
            "limit" => Job with { Limit = 0 },
            "samples" => Job with { Samples = 0 },
            "temperature" => Job with { Temperature = -1 },
            "top-p" => Job with { TopP = 0 },
            "max-new-tokens" => Job with { MaxNewTokens = 0 },
            "batch" => Job with { Batch = 0 },
            _ => Job with { Samples = 4 },
        };
        var e = Assert.Throws<QuantReasonException>(job.Validate);
        Assert.StartsWith(flag, e.Message);
    }

    [Fact]
    public void Defaults_are_a_greedy_zero_shot_run()
    {
        Job.Validate();
        Assert.Equal(("zero-shot-boxed", 0.0, 1, 1024), (Job.Prompt, Job.Temperature, Job.Samples, Job.MaxNewTokens));
        (Job with { Samples = 4, Temperature = 0.7 }).Validate();
    }
}
