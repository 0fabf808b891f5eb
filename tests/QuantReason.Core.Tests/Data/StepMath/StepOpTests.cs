using QuantReason.Data.StepMath;
using QuantReason.Tests;

namespace QuantReason.Tests.Data.StepMath;

public class StepOpTests
{
    [Theory]
    [InlineData('+', 48, 27, 75, 0)]
    [InlineData('-', 2, 12, -10, 0)]
    [InlineData('*', 4, -3, -12, 0)]
    [InlineData('/', 40, 6, 6, 4)]
    [InlineData('/', 2000, 100, 20, 0)]
    public void Apply_gives_the_exact_result(char symbol, long a, long b, long value, long remainder)
    {
        Assert.True(StepOps.TryFromSymbol(symbol, out var op));
        Assert.Equal(symbol, op.Symbol());
        Assert.Equal((value, remainder), op.Apply(a, b));
    }

    [Fact]
    public void Undefined_operations_give_null()
    {
        Assert.Null(StepOp.Div.Apply(5, 0));
        Assert.Null(StepOp.Div.Apply(-5, 2));
        Assert.Null(StepOp.Mul.Apply(long.MaxValue, 2));
        Assert.Null(StepOp.Add.Apply(long.MaxValue, 1));
    }

    [Fact]
    public void Only_addition_and_multiplication_commute()
    {
        Assert.Equal([StepOp.Add, StepOp.Mul], Enum.GetValues<StepOp>().Where(o => o.IsCommutative()));
        Assert.Equal([StepOp.Mul, StepOp.Div], Enum.GetValues<StepOp>().Where(o => o.IsMultiplicative()));
        Assert.False(StepOps.TryFromSymbol('x', out _));
    }
}
