using QuantReason.Judging;

namespace QuantReason.Tests.Judging;

public sealed class EqualityExtractorTests
{
    static List<string> Of(string step) => EqualityExtractor.Extract(step).Select(e => e.ToString()).ToList();

    [Fact]
    public void A_chain_gives_one_link_per_equals_sign() =>
        Assert.Equal([@"x = 2 + 3", "2 + 3 = 5"], Of("So $x = 2 + 3 = 5$."));

    [Fact]
    public void Approximations_and_inequalities_break_the_chain() =>
        Assert.Equal(["a = 3.14159"], Of(@"\[ 1 < a = 3.14159 \approx 3.14 \]"));

    [Fact]
    public void Aligned_lines_and_commas_are_separate_clauses() =>
        Assert.Equal(["a = 3", "b = 4", "c = 5"], Of(@"$$a = 3, b = 4 \\ c &= 5$$"));

    [Fact]
    public void Braces_hide_equals_signs_of_subscripts() =>
        Assert.Equal([@"\sum_{k=1}^{3} k = 6"], Of(@"$\sum_{k=1}^{3} k = 6$"));

    [Fact]
    public void Prose_equalities_with_units_money_and_words()
    {
        Assert.Equal(["18 - 6 = 12"], Of("So they have 18 - 6 = 12 flamingos left."));
        Assert.Equal(["3 × 5 = 15"], Of("He pays 3 x $5 = $15 in total."));
        Assert.Equal(["12 + 5 = 17"], Of("The total = 12 + 5 = 17. Then 5 = 5."));
    }

    [Fact]
    public void A_left_side_cut_off_by_words_is_not_taken()
    {
        Assert.Empty(Of("20% of 50 = 10"));
        Assert.Empty(Of("that is 3 times 4 + 1 = 13"));
    }

    [Fact]
    public void A_division_with_remainder_is_the_claim_a_equals_bq_plus_r()
    {
        Assert.Equal([@"1529 = 6 \times 255 + 4"], Of("1529 ÷ 6 = 255 with a remainder of 4"));
        Assert.Equal([@"850 = 9 \times 94 + 4"], Of("850/9=94r4"));
    }

    [Fact]
    public void Thousands_separators_are_one_number() =>
        Assert.Equal(["1296 + 4 = 1300"], Of("so 1,296 + 4 = 1,300 dollars"));

    [Fact]
    public void A_lone_dollar_is_money_when_other_delimiters_are_used() =>
        Assert.Equal([@"2 \times 3 = 6"], Of(@"It costs $4 and $5, and \(2 \times 3 = 6\)."));
}
