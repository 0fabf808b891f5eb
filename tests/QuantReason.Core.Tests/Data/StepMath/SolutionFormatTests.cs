using QuantReason.Data.StepMath;
using QuantReason.Tests;

namespace QuantReason.Tests.Data.StepMath;

public class SolutionFormatTests
{
    [Fact]
    public void Renders_the_studys_format()
    {
        var text = SolutionFormat.Render([new Step(48, StepOp.Add, 27, 75), new Step(75, StepOp.Add, 131, 206)], 206);
        Assert.Equal("<|step_start|>48+27=75<|step_end|><|step_start|>75+131=206<|step_end|><|answer_start|>\\boxed{206}<|answer_end|>", text);
        // 2 steps of 2 tags + content, answer tags + "\boxed{206}"
        Assert.Equal(2 + 8 + 2 + 10 + 2 + 11, SolutionFormat.TokenLength(text));
    }

    [Fact]
    public void Parses_steps_and_the_last_boxed_answer()
    {
        var p = SolutionFormat.Parse(" <|step_start|>3*4=12<|step_end|>\n<|step_start|>2+12=14<|step_end|><|answer_start|>so \\boxed{1} no \\boxed{ 14 }<|answer_end|> trailing");
        Assert.Equal(["3*4=12", "2+12=14"], p.Steps.Select(s => s.Text));
        Assert.All(p.Steps, s => Assert.True(s.Terminated));
        Assert.True(p.HasAnswerSegment);
        Assert.Equal(14, p.Answer);
    }

    [Fact]
    public void An_unclosed_step_is_recorded_as_such()
    {
        var p = SolutionFormat.Parse("<|step_start|>3*4=12<|step_start|>2+12=14<|step_end|>");
        Assert.Equal([("3*4=12", false), ("2+12=14", true)], p.Steps.Select(s => (s.Text, s.Terminated)));
        Assert.False(p.HasAnswerSegment);
        Assert.Null(p.Answer);
    }

    [Theory]
    [InlineData("<|answer_start|>\\boxed{}<|answer_end|>", "")]
    [InlineData("<|answer_start|>\\boxed{\\frac{1}{2}}<|answer_end|>", "\\frac{1}{2}")]
    [InlineData("<|answer_start|>\\boxed{12<|answer_end|>", null)]
    [InlineData("<|answer_start|>\\boxed{-7}", "-7")] // eos before answer_end
    public void Boxed_content_uses_brace_matching(string output, string? content)
    {
        var p = SolutionFormat.Parse(output);
        Assert.Equal(content, p.AnswerText);
        Assert.Equal(content == "-7" ? -7 : null, p.Answer);
    }
}
