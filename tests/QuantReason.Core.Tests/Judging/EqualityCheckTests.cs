using QuantReason.Judging;

namespace QuantReason.Tests.Judging;

public sealed class EqualityCheckTests
{
    [Theory]
    [InlineData(@"48 \times 27", "1296")]
    [InlineData(@"\frac{3}{4} \cdot 8", "6")]
    [InlineData("3x + 2x", "5x")]
    [InlineData(@"1/3 \times 18", "6")]
    [InlineData(@"10/3", "3.33")]          // rounded to its own digits
    [InlineData(@"25\pi", "78.54")]        // an irrational rounded
    [InlineData(@"\sqrt{2}", "1.414")]
    [InlineData(@"20\% \times 50", "10")] // percent as hundredths
    [InlineData("0.25", @"25\%")]
    [InlineData("74 + 1", @"75 \text{ plants}")]  // the result's unit
    public void True_equalities_hold(string left, string right) =>
        Assert.Equal(EqualityOutcome.Holds, EqualityCheck.Check(left, right).Outcome);

    [Theory]
    [InlineData(@"48 \times 27", "1286")]
    [InlineData(@"\frac{3}{4} \cdot 8", "5")]
    [InlineData("3x + 2x", "6x")]
    [InlineData("10/4", "2.3")]
    [InlineData("12 + 5", "18")]
    [InlineData("12 + 6", @"19 \text{ pounds}")]
    public void False_equalities_fail(string left, string right) =>
        Assert.Equal(EqualityOutcome.Fails, EqualityCheck.Check(left, right).Outcome);

    [Theory]
    [InlineData("x", "5")]                  // a definition
    [InlineData("2x + 3", "7")]             // an equation to solve
    [InlineData("x^2", "2x")]               // an equation, not an identity
    [InlineData("1000/3", "333")]           // rounded to whole units
    [InlineData(@"\sin 30", "0.5")]         // degrees or radians?
    [InlineData("the total", "12")]
    [InlineData("(1, 2)", "3")]
    [InlineData(@"2 \text{ dozen}", "24")]       // a unit converted
    [InlineData("12", @"1 \text{ dozen}")]
    public void Doubtful_equalities_are_not_checked(string left, string right) =>
        Assert.Equal(EqualityOutcome.Uncheckable, EqualityCheck.Check(left, right).Outcome);
}
