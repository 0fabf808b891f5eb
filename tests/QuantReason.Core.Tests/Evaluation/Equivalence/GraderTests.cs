using FsCheck;
using FsCheck.Fluent;
using QuantReason.Evaluation.Equivalence;

namespace QuantReason.Tests.Evaluation.Equivalence;

public class GraderTests
{
    static void Same(string gold, string predicted, Decision by)
    {
        var v = Grader.Equivalent(gold, predicted);
        Assert.True(v.Equivalent, $"{gold} ≢ {predicted} ({v.DecidedBy}: {v.GoldNormalized} | {v.PredictedNormalized})");
        Assert.Equal(by, v.DecidedBy);
    }

    static void Different(string gold, string predicted, Decision by)
    {
        var v = Grader.Equivalent(gold, predicted);
        Assert.False(v.Equivalent, $"{gold} ≡ {predicted} ({v.DecidedBy})");
        Assert.Equal(by, v.DecidedBy);
    }

    public static TheoryData<string, string> OneHalf => new()
    {
        { "1/2", "0.5" }, { "0.5", @"\frac{1}{2}" }, { @"\frac{1}{2}", "5E-01" }, { "5E-01", @"5\times10^{-1}" },
        { @"5\times10^{-1}", "1/2" }, { @"\frac12", @"5\cdot 10^{-1}" }, { @"\dfrac{1}{2}", ".5" }, { "0.50", @"\tfrac12" },
    };

    [Theory]
    [MemberData(nameof(OneHalf))]
    public void The_one_half_family_is_one_value(string a, string b)
    {
        Same(a, b, Decision.Rational);
        Same(b, a, Decision.Rational);
    }

    [Fact] public void Half_open_intervals_keep_their_ends() => Different("(1,2]", "[1,2)", Decision.Interval);
    [Fact] public void A_coarse_decimal_is_not_an_irrational() => Different(@"\sqrt{2}", "1.414", Decision.Numeric);
    [Fact] public void A_fine_decimal_approximates_an_irrational() => Same(@"\sqrt{2}", "1.41421356", Decision.Numeric);
    [Fact] public void Rationals_get_no_tolerance() => Different(@"\frac{1}{3}", "0.333333333", Decision.Rational);
    [Fact] public void Pi_approximation() { Same(@"2\pi", "6.283185307", Decision.Numeric); Different(@"\pi", "3.14", Decision.Numeric); }

    [Theory]
    [InlineData(@"\frac{\sqrt{2}}{2}", @"\frac{1}{\sqrt{2}}")]
    [InlineData(@"2\sqrt{3}", @"\sqrt{12}")]
    [InlineData(@"3\pi", @"\pi\cdot 3")]
    [InlineData("6 - 5i", "-5i+6")]
    [InlineData("p - q", "-q+p")]
    [InlineData("(a+5)(b+2)", "ab+2a+5b+10")]
    [InlineData(@"\frac{1}{1+\sqrt{2}}", @"\sqrt{2}-1")]
    [InlineData("y = 2x + 3", "3+2x")]
    [InlineData(@"\cot x", @"\cot(x)")]
    public void Symbolic_values(string gold, string predicted) => Same(gold, predicted, Decision.Symbolic);

    [Theory]
    [InlineData("3/4", "6/8")]
    [InlineData("10,080", "10080")]
    [InlineData(@"10,\!080", "10080")]
    [InlineData(@"\$32,\!348", "32348")]
    [InlineData(@"90^\circ", "90")]
    [InlineData("x = 3", "3")]
    [InlineData(@"1\frac45", @"\frac{9}{5}")]
    [InlineData(@"137 \frac{1}{2}", "137.5")]
    [InlineData(@"0.\overline{3}", @"\frac13")]
    [InlineData(@"5.4 \text{ cents}", "5.4")]
    [InlineData("18", "18 dollars")]
    [InlineData("18", "18.00")]
    [InlineData(@"50\%", "50")]
    [InlineData(".0000672", "6.72E-5")]
    public void Normalised_rationals(string gold, string predicted) => Same(gold, predicted, Decision.Rational);

    [Theory]
    [InlineData(@"\frac{28}{4}=7", "7")]
    [InlineData("(b,c)=(6,5)", "(6,5)")]
    [InlineData(@"\cos \angle RPS = -\frac{24}{25}", @"-\frac{24}{25}")]
    [InlineData("AC = 25", "25")]
    [InlineData("x^3 = 12", "12")]
    [InlineData(@"\text{Volume of the box} = 20 \times 2 = 40 \text{ cubic inches}", "40")]
    public void A_left_side_that_only_names_or_computes_the_answer_is_dropped(string predicted, string gold)
    {
        var v = Grader.Equivalent(gold, predicted);
        Assert.True(v.Equivalent, $"{predicted}: {v.DecidedBy} {v.PredictedNormalized}");
    }

    [Fact] public void An_equation_in_the_unknown_is_not_its_right_side() => Different("3", "x+1=3", Decision.KindMismatch);

    [Theory]
    [InlineData(@"65 \text{ children tickets }", "65")]
    [InlineData(@"\15", "15")]
    public void Counted_words_and_stray_backslashes_are_dropped(string predicted, string gold) => Same(gold, predicted, Decision.Rational);

    [Fact] public void Words_between_values_separate_them() => Same(@"1 \text{ or } 2", "2, 1", Decision.Set);
    [Fact] public void Choice_lists() { Same(@"\text{A,D}", "A, D", Decision.Set); Different(@"\text{A,D}", "A, C", Decision.Set); }

    [Fact] public void Percent_may_be_read_as_hundredths() => Same(@"50\%", "0.5", Decision.Percent);
    [Fact] public void No_percent_leniency_without_a_percent_sign() => Different("2000", "20", Decision.Rational);
    [Fact] public void Malformed_thousands_are_not_thousands() => Different("100", "1,00", Decision.KindMismatch);

    [Fact]
    public void Tuples_are_ordered()
    {
        Same(@"\left( 3, \frac{\pi}{2} \right)", @"(3,\frac{\pi}{2})", Decision.Tuple);
        Different("(6,31,-1)", "(31,6,-1)", Decision.Tuple);
        Different("(1,2)", "(1,2,3)", Decision.Tuple);
    }

    [Fact]
    public void Intervals()
    {
        Same(@"(2,\infty)", "x > 2", Decision.Interval);
        Same(@"x \in [-2,7]", "[-2, 7]", Decision.Interval);
        Different(@"(-\infty, 0]", @"(-\infty, 0)", Decision.Interval);
    }

    [Fact]
    public void Sets_are_unordered()
    {
        Same("x=1, x=2", "2,1", Decision.Set);
        Same(@"\{1\pm\sqrt{5},-2\}", @"-2, 1-\sqrt5, 1+\sqrt5", Decision.Set);
        Same(@"3 \pm 2 \sqrt{2}", @"3-2\sqrt{2}, 3+2\sqrt{2}", Decision.Set);
        Different("1,-2", "1,2", Decision.Set);
        Different("1,1,2", "1,2,2", Decision.Set);
        Same(@"\{3\}", "3", Decision.Rational);
    }

    [Fact]
    public void Unions_are_unordered()
    {
        Same(@"(0,9) \cup (9,36)", @"(9,36)\cup(0,9)", Decision.Union);
        Different(@"(0,9) \cup (9,36)", @"(0,9]\cup(9,36)", Decision.Union);
    }

    [Fact]
    public void Matrices_and_vectors()
    {
        Same(@"\begin{pmatrix} -1/3 \\ 2/3 \\ 5/3 \end{pmatrix}", @"\begin{bmatrix} -\frac13 \\ \frac23 \\ \frac53 \end{bmatrix}", Decision.Matrix);
        Same(@"\begin{pmatrix} 1 \\ 2 \end{pmatrix}", "(1, 2)", Decision.Matrix);
        Different(@"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}", @"\begin{pmatrix} 1 & 3 \\ 2 & 4 \end{pmatrix}", Decision.Matrix);
    }

    [Fact]
    public void Equations_up_to_a_factor()
    {
        Same("5x - 7y + 11z + 4 = 0", "-10x + 14y - 22z = 8", Decision.Equation);
        Different("5x - 7y + 11z + 4 = 0", "5x - 7y + 11z = 4", Decision.Equation);
    }

    [Fact]
    public void Text_answers_ignore_case_space_and_markup()
    {
        Same(@"\text{Evelyn}", "evelyn", Decision.Text);
        Same(@"\text{New York}", "new york", Decision.Text);
        Different(@"\text{east}", "west", Decision.Text);
    }

    [Fact]
    public void Choice_letters()
    {
        Same(@"\text{(C)}", "C", Decision.Choice);
        Same("(A)", "A", Decision.Choice);
        Different("(B)", "(E)", Decision.Choice);
    }

    [Fact]
    public void Numerals_in_other_bases()
    {
        Same("52_8", "52_{8}", Decision.BaseNumeral);
        Same("52_8", "52", Decision.BaseNumeral);
        Different("52_8", "42", Decision.BaseNumeral);
        Different("52_8", "52_9", Decision.BaseNumeral);
    }

    [Fact]
    public void Kinds_that_cannot_match()
    {
        Different("(1,2)", "3", Decision.KindMismatch);
        Different(@"\text{east}", "5", Decision.KindMismatch);
    }

    [Fact]
    public void Unparseable_answers_fall_back_to_normalised_strings()
    {
        Same(@"\overline{CD}", @"\overline{ CD }", Decision.String);
        Different(@"\overline{CD}", @"\overline{AB}", Decision.String);
    }

    [Fact]
    public void Missing_prediction()
    {
        Assert.Equal(Decision.NoAnswer, Grader.Equivalent("3", null).DecidedBy);
        Assert.False(Grader.Equivalent("3", "  ").Equivalent);
    }

    [Fact]
    public void A_fraction_equals_every_scaled_copy_and_its_decimal_and_not_its_neighbour()
    {
        var gen = from p in Gen.Choose(-999, 999)
                  from a in Gen.Choose(0, 4) from b in Gen.Choose(0, 4)
                  from k in Gen.Choose(1, 50)
                  select (p, q: (int)(Math.Pow(2, a) * Math.Pow(5, b)), k);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var frac = $@"\frac{{{t.p}}}{{{t.q}}}";
            var scaled = $"{t.p * t.k}/{t.q * t.k}";
            var dec = ((decimal)t.p / t.q).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var neighbour = $@"\frac{{{t.p + 1}}}{{{t.q}}}";
            return Grader.Equivalent(frac, scaled).Equivalent && Grader.Equivalent(frac, dec).Equivalent
                   && !Grader.Equivalent(frac, neighbour).Equivalent;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Any_order_of_a_solution_set_is_the_same_set_and_a_changed_member_is_not()
    {
        var gen = from xs in Gen.Choose(-50, 50).ArrayOf()
                  where xs.Length is > 1 and < 8
                  from seed in Gen.Choose(0, 1000)
                  select (xs, seed);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var shuffled = t.xs.OrderBy(_ => new Random(t.seed).Next()).ToArray();
            var changed = t.xs.ToArray();
            changed[0] += 1000;
            return Grader.Equivalent(string.Join(", ", t.xs), string.Join(",", shuffled.Select(x => $"x={x}"))).Equivalent
                   && !Grader.Equivalent(string.Join(", ", t.xs), string.Join(", ", changed)).Equivalent;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Identities_are_decided_at_random_points()
    {
        Same(@"\csc^2\theta", @"1 + \cot^2\theta", Decision.Identity);
        Same(@"\sum_{k=1}^{n} 2k", @"\sum_{j=1}^{n} j \cdot 2", Decision.Identity);
        Different(@"\sin(\pi x)", "0", Decision.Symbolic);
        Different(@"\sum_{k=1}^{n} k", @"\sum_{k=2}^{n} k", Decision.Symbolic);
    }

    [Fact]
    public void Long_decimals_stand_for_exact_rationals_but_rounded_answers_do_not()
    {
        Same(@"\frac{1}{7}", "0.142857142857", Decision.Numeric);
        Different(@"\frac{1}{7}", "0.142857", Decision.Rational);
        Different("0.14", @"\frac{1}{7}", Decision.Rational);
        Different(@"\frac{1}{8}", "0.1250000001", Decision.Rational);
    }

    [Fact]
    public void Labelled_answers_and_equations_with_a_number_on_the_left()
    {
        Same("5", "|PQ| = 5", Decision.Rational);
        Same(@"\frac{2}{3}", @"\frac{AM}{MB}=\frac{2}{3}", Decision.Rational);
        Same("4.5", @"t \approx 4.5", Decision.Rational);
        Different("2p+q", "5 = 2p + q", Decision.KindMismatch);
        Same("5 = 2p + q", "q = 5 - 2p", Decision.Equation);
        Same("3x - y + 1 = 0", "y = 3x + 1", Decision.Equation);
        Different("3x - y + 1 = 0", "y = 3x - 1", Decision.Equation);
    }

    [Fact]
    public void Inequalities_up_to_a_factor_and_as_sets_of_reals()
    {
        Same("y > 2", "-y < -2", Decision.Interval);
        Different("y > 2", "-y > -2", Decision.Interval);
        Same("x + y > 2", "-x - y < -2", Decision.Inequality);
        Different("x + y > 2", "-x - y > -2", Decision.Inequality);
        Same(@"[-5,-2]\cup[2,5]", @"2 \le |t| \le 5", Decision.Union);
        Same("(0,36)", @"(0,9]\cup(9,36)", Decision.Union);
        Different("(0,36)", @"(0,9)\cup(9,36)", Decision.Union);
    }

    [Fact]
    public void Repeated_members_collapse_only_when_one_side_lists_each_once()
    {
        Same("2, 3", "3, 2, 2", Decision.Set);
        Same("2", "2, 2", Decision.Rational);
        Same(@"\{1, 2, 3\}", "3; 1; 2", Decision.Set);
    }

    [Fact]
    public void Nested_sums_are_cut_off_by_the_work_budget()
    {
        Grader.Equivalent(@"\sum_{i=1}^{3} i", "6"); // first use pays for JIT and regex construction, not measured
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var v = Grader.Equivalent(@"\sum_{i=1}^{9999}\sum_{j=1}^{9999} ij", @"\sum_{j=1}^{9999}\sum_{i=1}^{9999} ji + 1");
        Assert.False(v.Equivalent);
        // About 0.2 s alone; the bound leaves room for a loaded machine, as the token-soup test does.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"{clock.Elapsed}");
    }

    static readonly string[] Tokens =
    [
        "1", "2", "0", ".5", "x", "y", "i", "e", @"\pi", @"\sqrt", @"\frac", "{", "}", "(", ")", "[", "]", "^", "_", "+", "-", "*",
        "/", "=", ",", @"\{", @"\}", @"\cup", @"\pm", @"\text{", "cm", @"\begin{pmatrix}", @"\end{pmatrix}", "&", @"\\", "!",
        "|", "<", @"\le", @"\infty", @"\overline", @"\left(", @"\right)", "%", "$", @"\boxed{", "A", "(B)", " ", @"\sin",
        "_8", "5E-01", @"\lfloor", @"\rfloor", @"\binom", @"\sqrt[3]", "10^{", "999999999999", "2^{1000}", "5E-0122",
        @"\sum_{k=1}^{", @"\prod_{i=0}^", "n", "k", @"\cot", @"\ge", ">", ";", " or ", @"\approx", "0.142857142857", ":",
    ];

    /// <summary>Garbage in never throws and never stalls: a grader inside a long run must return a verdict for anything.</summary>
    [Fact]
    public void Arbitrary_token_soup_gets_a_verdict_quickly()
    {
        var soup = Gen.Elements(Tokens).ArrayOf().Where(a => a.Length is > 0 and < 14).Select(a => string.Concat(a));
        var gen = from a in soup from b in soup select (a, b);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            Grader.Equivalent(t.a, t.b);
            QuantReason.Evaluation.AnswerExtractor.Extract(t.a + t.b);
            return clock.ElapsedMilliseconds < 2000;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(1000));
    }
}
