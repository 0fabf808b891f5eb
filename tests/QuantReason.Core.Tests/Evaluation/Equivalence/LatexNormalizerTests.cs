using QuantReason.Evaluation.Equivalence;

namespace QuantReason.Tests.Evaluation.Equivalence;

public class LatexNormalizerTests
{
    static string N(string raw) => LatexNormalizer.Normalize(raw).Compact;

    [Theory]
    [InlineData(@"\dfrac{1}{2}", @"\frac{1}{2}")]
    [InlineData(@"\tfrac{1}{2}", @"\frac{1}{2}")]
    [InlineData(@"\left( 3, \frac{\pi}{2} \right)", @"(3,\frac{\pi}{2})")]
    [InlineData(@"10,\!080", "10080")]
    [InlineData(@"11,\! 111,\! 111,\! 100", "11111111100")]
    [InlineData(@"8{,}880", "8880")]
    [InlineData(@"\frac{12}{5,\!525}", @"\frac{12}{5525}")]
    [InlineData(@"1\,000", "1000")]
    [InlineData(@"\frac12", @"\frac{1}{2}")]
    [InlineData(@"\frac 59", @"\frac{5}{9}")]
    [InlineData(@"\frac{270}7", @"\frac{270}{7}")]
    [InlineData(@"\frac3{4}", @"\frac{3}{4}")]
    [InlineData(@"\sqrt2", @"\sqrt{2}")]
    [InlineData(@"90^\circ", "90")]
    [InlineData(@"90^{\circ}", "90")]
    [InlineData("90°", "90")]
    [InlineData(@"\$32", "32")]
    [InlineData("$x+1$", "x+1")]
    [InlineData(@"\(x\)", "x")]
    [InlineData(".5", "0.5")]
    [InlineData("-.5", "-0.5")]
    [InlineData("5.", "5")]
    [InlineData(@"5.4 \text{ cents}", "5.4")]
    [InlineData(@"864 \mbox{ inches}^2", "864")]
    [InlineData(@"15\mbox{ cm}^2", "15")]
    [InlineData("18 dollars", "18")]
    [InlineData("4 square units", "4")]
    [InlineData(@"\text{Evelyn}", "Evelyn")]
    [InlineData(@"\cot x", @"\cot x")]
    [InlineData("1,000,000", "1000000")]
    [InlineData("1,2", "1,2")]
    [InlineData("1,00", "1,00")]
    [InlineData(@"\begin{pmatrix} 1 \\ 2 \end{pmatrix}", @"\begin{pmatrix}1\\2\end{pmatrix}")]
    public void Rewrites(string raw, string expected) => Assert.Equal(expected, N(raw));

    [Theory]
    [InlineData(@"50\%", true)]
    [InlineData("50%", true)]
    [InlineData("50", false)]
    public void Percent_sign_is_removed_and_remembered(string raw, bool percent)
    {
        var n = LatexNormalizer.Normalize(raw);
        Assert.Equal("50", n.Compact);
        Assert.Equal(percent, n.Percent);
    }

    [Theory]
    [InlineData("25 pct", "25")]
    [InlineData("25 percent", "25")]
    [InlineData("25 Percent", "25")]
    public void Percent_words_are_percent_signs(string raw, string compact)
    {
        var n = LatexNormalizer.Normalize(raw);
        Assert.Equal((compact, true), (n.Compact, n.Percent));
    }

    [Theory]
    [InlineData("2 or 3", "2,3")]
    [InlineData("x = 1 and x = 4", "x=1,x=4")]
    [InlineData("Tom and Jerry", "TomandJerry")] // words on both sides: a text answer, untouched
    [InlineData(@"t \approx 4.5", "t=4.5")]
    public void Connectives_between_values_list_them(string raw, string compact) => Assert.Equal(compact, N(raw));

    [Theory]
    [InlineData(@"\\frac{1}{2}", @"\frac{1}{2}")]
    [InlineData(@"\\begin{pmatrix}1\\\\2\\end{pmatrix}", @"\begin{pmatrix}1\\2\end{pmatrix}")]
    [InlineData(@"\begin{pmatrix}1\\2\end{pmatrix}", @"\begin{pmatrix}1\\2\end{pmatrix}")] // a single backslash: left alone
    public void Doubled_backslashes_are_halved_only_when_every_one_is_doubled(string raw, string expected) =>
        Assert.Equal(expected, LatexNormalizer.UndoubleBackslashes(raw));

    [Fact]
    public void Text_markup_is_remembered_and_spaces_kept_for_words()
    {
        var n = LatexNormalizer.Normalize(@"\text{New York}");
        Assert.True(n.HadTextMarkup);
        Assert.Equal("New York", n.Text);
    }
}
