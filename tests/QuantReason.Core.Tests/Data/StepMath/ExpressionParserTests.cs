using System.Data;
using System.Text.RegularExpressions;
using FsCheck;
using FsCheck.Fluent;
using QuantReason.Data.StepMath;
using QuantReason.Tests;

namespace QuantReason.Tests.Data.StepMath;

public class ExpressionParserTests
{
    [Fact]
    public void Values_agree_with_System_Data_on_random_chains()
    {
        // random chains of + - * with optional parentheses, checked against DataTable.Compute, an independent evaluator
        var term = Gen.Choose(0, 99).Select(i => i.ToString());
        var op = Gen.Elements("+", "-", "*");
        var chain = Gen.Choose(1, 6).SelectMany(n => Gen.ListOf(op.Zip(term), n).Zip(term, (rest, first) =>
            first + string.Concat(rest.Select(p => p.Item1 + p.Item2))));
        var expr = chain.Zip(Gen.Choose(0, 3), (c, wrap) => wrap == 0 && c.Length > 3 ? $"({c})*3" : c);
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), Prop.ForAll(expr.ToArbitrary(),
            e => ExpressionParser.Parse(e).Value == Exact(e)));
    }

    // decimal literals keep DataTable exact beyond Int32 (its integer arithmetic overflows there)
    static long Exact(string e) => Convert.ToInt64(new DataTable().Compute(Regex.Replace(e, @"\d+", "$0.0"), null));

    [Theory]
    [InlineData("2+", 3)]
    [InlineData("(2+3", 5)]
    [InlineData("2+3)", 4)]
    [InlineData("2 + 3", 2)]
    [InlineData("", 1)]
    public void Errors_name_the_column(string text, int column)
    {
        var e = Assert.Throws<QuantReasonException>(() => ExpressionParser.Parse(text, "problems.jsonl:7"));
        Assert.Contains($"column {column}", e.Message);
        Assert.Equal("problems.jsonl:7", e.Where);
        Assert.False(ExpressionParser.TryParse(text, out _));
    }

    [Fact]
    public void Undefined_division_is_an_error()
    {
        Assert.Throws<QuantReasonException>(() => ExpressionParser.Parse("5/0"));
        Assert.Throws<QuantReasonException>(() => ExpressionParser.Parse("(1-3)/2"));
    }
}
