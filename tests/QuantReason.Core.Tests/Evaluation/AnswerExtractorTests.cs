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

    [Theory]
    [InlineData(@"x = \boxed{2} \text{ or } x = \boxed{5}", "2, 5")]
    [InlineData(@"$a = \boxed{3}$, $b = \boxed{4}$", "3, 4")]
    [InlineData(@"\boxed{7} and again \boxed{7}", "7")] // "again" is prose: the last box alone
    [InlineData(@"\boxed{6}, \boxed{6}", "6")] // the same box restated is one answer
    [InlineData(@"\boxed{x = \boxed{5}}", "5")] // a box around a box is not a second part: the inner one is the answer
    public void Boxes_joined_only_by_connectives_are_one_answer(string output, string expected)
    {
        var e = AnswerExtractor.Extract(output);
        Assert.Equal((expected, ExtractionRule.Boxed), (e.Answer, e.Rule));
    }

    [Theory]
    [InlineData("(4,1)", "(4,1)")]
    [InlineData("$(0, 2]$", "(0, 2]")]
    [InlineData(@"y = 3x + 1", "y = 3x + 1")]
    [InlineData(@"\frac{AM}{MB}=\frac{2}{3}", @"\frac{AM}{MB}=\frac{2}{3}")]
    [InlineData(@"\begin{pmatrix} 1 \\ 2 \end{pmatrix}", @"\begin{pmatrix} 1 \\ 2 \end{pmatrix}")]
    [InlineData("25 percent", "25 percent")]
    public void A_clean_answer_is_taken_whole(string text, string expected)
    {
        var e = AnswerExtractor.Extract(text);
        Assert.Equal((expected, ExtractionRule.Whole), (e.Answer, e.Rule));
    }

    [Theory]
    [InlineData("The intersection is at (4, 1)", "(4, 1)")]
    [InlineData("so x lies in (0, 2] overall", "(0, 2]")]
    [InlineData("They meet at 3:30 p.m. on Friday", "3:30 p.m.")]
    [InlineData("A ratio of 2:1 gives 12", "12")]
    [InlineData("The roots are -3 or 4.", "-3 or 4")]
    [InlineData("so the possible values are 1, 2, and 5", "1, 2, and 5")]
    [InlineData("between 3 and 5 there are 7", "7")] // a list only where it ends the sentence
    public void The_last_value_keeps_tuples_intervals_and_times_whole(string output, string expected)
    {
        var e = AnswerExtractor.Extract(output);
        Assert.Equal((expected, ExtractionRule.LastNumber), (e.Answer, e.Rule));
    }

    [Fact]
    public void An_unclosed_box_alone_is_no_answer() => Assert.Equal(Extraction.None, AnswerExtractor.Extract(@"so the total is \boxed{12"));

    [Fact]
    public void Json_escaped_backslashes_are_halved() =>
        Assert.Equal(@"\frac{1}{2}", AnswerExtractor.Extract(@"we get \\boxed{\\frac{1}{2}}").Answer);

    [Fact]
    public void A_number_free_line_stands_as_written_but_a_sentence_does_not()
    {
        Assert.Equal(("east", ExtractionRule.Whole), (AnswerExtractor.Extract("east").Answer, AnswerExtractor.Extract("east").Rule));
        Assert.Equal(Extraction.None, AnswerExtractor.Extract("I have no idea."));
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
