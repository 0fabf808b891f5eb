using QuantReason.Judging;
using QuantReason.Data.StepMath;
using QuantReason.Jobs;

namespace QuantReason.Tests.Judging;

public sealed class JudgeReplyTests
{
    static JudgeReply Parse(string text, int steps = 4) => JudgeReply.Parse(text, steps, Taxonomy.Default, "judge 'a' on p#0");

    [Fact]
    public void A_reply_in_either_taxonomy_version_or_a_fence_is_read()
    {
        Assert.Equal(new JudgeReply(2, "computational_error", "48×27 is 1296"), Parse("""{"first_error_step": 2, "error_type": "computational_error", "reason": "48×27 is 1296"}"""));
        Assert.Equal(new JudgeReply(1, "symbol_error", "sign"), Parse("```json\n{\"first_error_step\": 1, \"error_type\": \"symbol_error\", \"reason\": \"sign\"}\n```"));
        Assert.Equal(new JudgeReply(-1, null, ""), Parse("""{"first_error_step": null, "error_type": "no_error"}"""));
        Assert.Equal(4, Parse("""{"first_error_step": 4, "error_type": "format_error", "reason": "answer miscopied"}""").FirstErrorStep);
    }

    [Theory]
    [InlineData("""{"first_error_step": 0, "error_type": "arithmetic_slip"}""", "unknown error type 'arithmetic_slip'")]
    [InlineData("""{"first_error_step": 9, "error_type": "computational_error"}""", "'first_error_step' 9 is past the solution's 4 steps")]
    [InlineData("""{"first_error_step": 1}""", "gives no 'error_type'")]
    [InlineData("""{"first_error_step": "two", "error_type": "computational_error"}""", "must be an integer or null")]
    [InlineData("""{"error_type": "computational_error"}""", "lacks 'first_error_step'")]
    [InlineData("The error is in step 2.", "reply is not JSON")]
    [InlineData("[1, 2]", "not an object")]
    public void A_reply_breaking_the_schema_is_one_clear_error(string reply, string message)
    {
        var e = Assert.Throws<QuantReasonException>(() => Parse(reply));
        Assert.Contains(message, e.Message);
        Assert.StartsWith("judge 'a' on p#0: ", e.Message);
    }
}
