using QuantReason.Data.StepMath;
using QuantReason.Tests;

namespace QuantReason.Tests.Data.StepMath;

public class ExprNodeTests
{
    static string Order(string expr) => string.Join(' ', ExpressionParser.Parse(expr).CanonicalOrder().Select(n => n.ToStep().Render()));

    [Theory]
    [InlineData("2+3*4-5*6", "3*4=12 5*6=30 2+12=14 14-30=-16")] // multiplications first, left to right
    [InlineData("26+24+19*7", "19*7=133 26+24=50 50+133=183")]
    [InlineData("(2+3)*4+5*6", "2+3=5 5*4=20 5*6=30 20+30=50")] // parentheses before everything
    [InlineData("10-3-2", "10-3=7 7-2=5")] // left associative
    [InlineData("40/6+1", "40/6=6r4 6+1=7")]
    public void Canonical_order_is_the_school_order(string expr, string steps) => Assert.Equal(steps, Order(expr));

    [Fact]
    public void Operations_come_children_first_and_leaves_are_collected()
    {
        var root = ExpressionParser.Parse("2*(3+4)");
        var ops = root.Operations();
        Assert.Same(root, ops[^1]);
        Assert.Equal([7L, 14L], ops.Select(o => o.Value));
        var leaves = new HashSet<long>();
        root.CollectLeafValues(leaves);
        Assert.Equal(new HashSet<long> { 2, 3, 4 }, leaves);
    }

    [Fact]
    public void A_division_step_shows_its_remainder_only_when_there_is_one()
    {
        Assert.Equal("40/6=6r4", ExpressionParser.Parse("40/6").ToStep().Render());
        Assert.Equal("36/6=6", ExpressionParser.Parse("36/6").ToStep().Render());
    }
}
