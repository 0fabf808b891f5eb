using QuantReason.Evaluation.Equivalence;

namespace QuantReason.Tests.Evaluation.Equivalence;

public class IntervalSetTests
{
    static List<Interval> Of(string answer) => IntervalSet.Of(AnswerParser.Parse(answer))!;

    [Theory]
    [InlineData(@"(0,9]\cup(9,36)", "(0,36)")]
    [InlineData(@"[2,3]\cup[3,7)", "[2,7)")]
    [InlineData(@"(3,\infty)\cup(-\infty,-3)", @"(-\infty,-3)\cup(3,\infty)")]
    [InlineData(@"[1,4]\cup[2,3]", "[1,4]")]
    public void Unions_are_merged_into_one_canonical_form(string union, string canonical) =>
        Assert.True(IntervalSet.Same(Of(union), IntervalSet.Of(AnswerParser.Parse(canonical), assumeInterval: true)!));

    [Fact]
    public void A_point_missing_between_open_ends_keeps_two_pieces() => Assert.Equal(2, Of(@"(0,9)\cup(9,36)").Count);

    [Fact]
    public void Infinite_ends_are_open_whatever_the_bracket()
    {
        var i = Assert.Single(Of(@"[2,\infty]"));
        Assert.False(i.HighClosed);
    }

    [Fact]
    public void Mirror_and_non_negative_part()
    {
        var i = Assert.Single(Of("[-2,5)"));
        var m = IntervalSet.Mirror(i);
        Assert.Equal((-5.0, 2.0, false, true), (IntervalSet.Position(m.Low), IntervalSet.Position(m.High), m.LowClosed, m.HighClosed));
        Assert.Equal(0.0, IntervalSet.Position(IntervalSet.NonNegative(i)!.Low));
        Assert.Null(IntervalSet.NonNegative(Assert.Single(Of("[-3,0)"))));
    }
}
