using QuantReason.Evaluation;

namespace QuantReason.Tests.Evaluation;

public class AnswerExtractorTests
{
    [Theory]
    [InlineData(@"so $x = \boxed{\frac{1}{2}}$.", @"\frac{1}{2}")]
    [InlineData(@"first \boxed{1}, corrected: \boxed{2}", "2")]
    [InlineData(@"nested \boxed{\frac{\sqrt{2}}{2}} done", @"\frac{\sqrt{2}}{2}")]
    [InlineData(@"escaped braces \boxed{\{1, 2\}}", @"\{1, 2\}")]
    [InlineData(@"the answer is $\boxed 5$.", "5")]
    [InlineData(@"framed \fbox{42}", "42")]
    [InlineData(@"an early \boxed{3} then a truncated \boxed{4", "3")]
    public void Boxed_takes_the_last_brace_balanced_box(string output, string expected)
    {
        var e = AnswerExtractor.Extract(output);
        Assert.Equal(expected, e.Answer);
        Assert.Equal(ExtractionRule.Boxed, e.Rule);
    }

    [Fact]
    public void Minerva_final_answer_sentence()
    {
        var e = AnswerExtractor.Extract("We get 7.\nFinal Answer: The final answer is $\\frac{3}{4}$. I hope it is correct.");
        Assert.Equal((@"\frac{3}{4}", ExtractionRule.Minerva), (e.Answer, e.Rule));
    }

    [Theory]
    [InlineData("So the answer is 18.", "18")]
    [InlineData("Therefore the final answer is: $3.5$.\nThanks", "3.5")]
    [InlineData("The answer is 1.5 dollars. Done.", "1.5 dollars")]
    public void The_answer_is_runs_to_the_end_of_its_sentence(string output, string expected)
    {
        var e = AnswerExtractor.Extract(output);
        Assert.Equal((expected, ExtractionRule.TheAnswerIs), (e.Answer, e.Rule));
    }

    [Fact]
    public void Gsm8k_hash_line()
    {
        var e = AnswerExtractor.Extract("She makes 9 * 2 = $<<9*2=18>>18.\n#### 18");
        Assert.Equal(("18", ExtractionRule.Gsm8kHash), (e.Answer, e.Rule));
    }

    [Theory]
    [InlineData(@"Therefore the value is \(-\frac{2\sqrt{3}}{3}\).", @"-\frac{2\sqrt{3}}{3}")]
    [InlineData(@"Thus the area is \[ 8\pi \] square units.", @"8\pi")]
    [InlineData(@"So $\cos \angle RPS = -\frac{24}{25}$.", @"\cos \angle RPS = -\frac{24}{25}")]
    [InlineData(@"The probability is \(1/3\), given fixed \(A\) and \(B\).", "1/3")] // names are mentions, not answers
    [InlineData(@"so \(2 + 1 = 3\) values of \(n\) in all", "2 + 1 = 3")]
    public void Last_math_segment_when_nothing_numeric_follows(string output, string expected)
    {
        var e = AnswerExtractor.Extract(output);
        Assert.Equal((expected, ExtractionRule.LastMath), (e.Answer, e.Rule));
    }

    [Theory]
    [InlineData(@"We get \(x = 3\), so 4 apples remain.", "4")]
    [InlineData("She pays $5 and then $7 more, 12 in all", "12")] // currency dollars are not math delimiters
    public void Last_math_yields_to_a_later_number_and_ignores_currency(string output, string expected)
    {
        var e = AnswerExtractor.Extract(output);
        Assert.Equal((expected, ExtractionRule.LastNumber), (e.Answer, e.Rule));
    }

    [Theory]
    [InlineData("He paid 1,200 dollars and got -3.5 back", "-3.5")]
    [InlineData("A: 1,234", "1,234")]
    [InlineData("ratio 3/4 in the end", "3/4")]
    public void Last_number_is_the_fallback(string output, string expected)
    {
        var e = AnswerExtractor.Extract(output);
        Assert.Equal((expected, ExtractionRule.LastNumber), (e.Answer, e.Rule));
    }

    [Fact]
    public void Nothing_to_extract_gives_no_rule()
    {
        Assert.Equal(Extraction.None, AnswerExtractor.Extract("I do not know."));
    }

    [Fact]
    public void Rule_names_match_the_run_schema()
    {
        Assert.Equal(["boxed", "minerva", "the_answer_is", "gsm8k_hash", "whole", "last_math", "last_number"],
            Enum.GetValues<ExtractionRule>().Select(r => r.Name()));
        Assert.Equal("\"the_answer_is\"", System.Text.Json.JsonSerializer.Serialize(ExtractionRule.TheAnswerIs));
    }
}
