using QuantReason.Evaluation.Equivalence;

namespace QuantReason.Tests.Evaluation.Equivalence;

public class InequalitySolverTests
{
    static List<Interval> Solved(string inequality) => IntervalSet.Of(AnswerParser.Parse(inequality), assumeInterval: true)!;

    static void Is(string inequality, string intervals) =>
        Assert.True(IntervalSet.Same(Solved(inequality), IntervalSet.Of(AnswerParser.Parse(intervals), assumeInterval: true)!),
            $"{inequality} is not {intervals}");

    [Fact] public void Negative_slope_reverses_the_relation() => Is("3 - x > 4", @"(-\infty,-1)");
    [Fact] public void Variable_on_both_sides() => Is("2x - 3 < x + 1", @"(-\infty,4)");
    [Fact] public void Chained_linear() => Is(@"1 < 2x + 1 \le 5", "(0,2]");
    [Fact] public void Absolute_value_inside() => Is("|x - 3| < 2", "(1,5)");
    [Fact] public void Absolute_value_outside() => Is("|2x| > 6", @"(-\infty,-3)\cup(3,\infty)");
    [Fact] public void Absolute_value_between() => Is(@"2 \le |t| \le 5", @"[-5,-2]\cup[2,5]");
    [Fact] public void Absolute_value_below_zero_has_no_solution() => Assert.Empty(Solved("|x| < -1"));

    [Fact]
    public void Two_variables_stay_an_inequality_in_ascending_order()
    {
        var i = Assert.IsType<InequalityAnswer>(AnswerParser.Parse("x + y > 2"));
        Assert.Equal([true], i.Strict);
        Assert.True(i.Terms[0].ExactlyEquals(SymbolicValue.Of(new Rational(2, 1))));
    }

    /// <summary>Found by fuzzing: an infinite offset has no finite solution set and must not reach the interval algebra.</summary>
    [Fact]
    public void An_infinite_offset_is_not_solved() =>
        Assert.IsNotType<BracketedAnswer>(AnswerParser.Parse(@"t+0.1428571428\infty\ge3"));

    [Fact] public void Mixed_directions_are_not_read() => Assert.IsType<UnparsedAnswer>(AnswerParser.Parse("1 < x > 3"));
}
