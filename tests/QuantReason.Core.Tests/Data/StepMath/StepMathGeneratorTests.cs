using System.Data;
using System.Diagnostics;
using System.Text.RegularExpressions;
using FsCheck;
using FsCheck.Fluent;
using Xunit.Abstractions;
using QuantReason.Data.StepMath;
using QuantReason.Judging;
using QuantReason.Tests;

namespace QuantReason.Tests.Data.StepMath;

public class StepMathGeneratorTests(ITestOutputHelper output)
{
    static readonly Config Quick = Config.QuickThrowOnFailure.WithMaxTest(25);

    static string WithoutTags(string s)
    {
        foreach (var tag in SolutionFormat.Tags) s = s.Replace(tag, "");
        return s;
    }

    /// <summary>An evaluation independent of the toolkit's parser: System.Data for chains, the formulas for words.</summary>
    static long Reference(string text)
    {
        long N(Match m, int g) => long.Parse(m.Groups[g].Value);
        Match m;
        var t = text.Split(' ');
        (long, long) Pair(string s, char sep) => (long.Parse(s.Split(sep)[0]), long.Parse(s.Split(sep)[1]));
        if (t[0] == "area") return t.Skip(1).Select(r => Pair(r, 'x')).Sum(r => r.Item1 * r.Item2);
        if (t[0] == "peri") return t.Skip(1).Select(r => Pair(r, 'x')).Sum(r => 2 * (r.Item1 + r.Item2));
        if (t[0] == "dist") return t.Skip(1).Chunk(2).Sum(l => long.Parse(l[0][..^2]) * long.Parse(l[1][..^1]));
        if ((m = Regex.Match(text, @"^off (\d+) of (\d+)$")).Success)
        {
            Assert.Equal(0, N(m, 1) * N(m, 2) % 100);
            return N(m, 2) - N(m, 1) * N(m, 2) / 100;
        }
        if ((m = Regex.Match(text, @"^rate (\d+) (\d+)h$")).Success)
        {
            Assert.Equal(0, N(m, 1) % N(m, 2));
            return N(m, 1) / N(m, 2);
        }
        if ((m = Regex.Match(text, @"^pct (\d+) of (\d+)$")).Success)
        {
            Assert.Equal(0, N(m, 1) * N(m, 2) % 100);
            return N(m, 1) * N(m, 2) / 100;
        }
        if ((m = Regex.Match(text, @"^box (\d+) of (\d+)$")).Success) return (N(m, 1) + N(m, 2) - 1) / N(m, 2);
        if (text.StartsWith("rest "))
        {
            long cost = t.Skip(2).Sum(i => i.Split('@') is [var q, var c] ? long.Parse(q) * long.Parse(c) : long.Parse(i));
            return long.Parse(t[1]) - cost;
        }
        Assert.Matches(@"^[0-9+\-*()]+$", text);
        return Convert.ToInt64(new DataTable().Compute(Regex.Replace(text, @"\d+", "$0.0"), null));
    }

    [Fact]
    public void Alphabet_is_sorted_distinct_and_covers_exactly_what_problems_and_solutions_use()
    {
        Assert.Equal(StepMathGenerator.Alphabet, new string(StepMathGenerator.Alphabet.Order().Distinct().ToArray()));
        var used = new HashSet<char>();
        foreach (var split in Enum.GetValues<StepMathSplit>())
            foreach (var item in new StepMathGenerator(3).Generate(split, 4000))
                used.UnionWith(item.Problem.Text + WithoutTags(item.Problem.Solution));
        Assert.Equal(StepMathGenerator.Alphabet, new string(used.Order().ToArray()));
        // the trainer's character vocabulary stays small: the alphabet plus 4 tags and bos/eos/pad
        Assert.InRange(StepMathGenerator.Alphabet.Length, 17, 40);
    }

    [Fact]
    public void Alphabet_property_holds_for_any_seed() =>
        Check.One(Quick, Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), seed =>
            new StepMathGenerator(seed).Generate(StepMathSplit.Train, 200)
                .All(i => (i.Problem.Text + WithoutTags(i.Problem.Solution)).All(StepMathGenerator.Alphabet.Contains))));

    [Fact]
    public void Every_generated_solution_verifies_as_correct() =>
        Check.One(Quick, Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), Gen.Elements(Enum.GetValues<StepMathSplit>()).ToArbitrary(),
            (seed, split) => new StepMathGenerator(seed).Generate(split, 100)
                .All(i => StepVerifier.Verify(i.Problem, i.Problem.Solution).IsCorrect)));

    [Fact]
    public void The_answer_is_the_exact_value_of_the_problem() =>
        Check.One(Quick, Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), seed =>
            new StepMathGenerator(seed, new StepMathOptions { WordFraction = 0.5 }).Generate(StepMathSplit.Train, 100)
                .All(i => i.Problem.Answer == Reference(i.Problem.Text)
                          && i.Problem.Solution.EndsWith($"\\boxed{{{Reference(i.Problem.Text)}}}<|answer_end|>"))));

    [Fact]
    public void Splits_are_disjoint_whatever_the_seeds() =>
        Check.One(Quick, Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), Gen.Choose(0, int.MaxValue).ToArbitrary(), (a, b) =>
        {
            var train = new StepMathGenerator(a).Generate(StepMathSplit.Train, 3000).Select(i => i.Problem.Text).ToHashSet();
            var validation = new StepMathGenerator(b).Generate(StepMathSplit.Validation, 500).Select(i => i.Problem.Text).ToHashSet();
            var test = new StepMathGenerator(a ^ b).Generate(StepMathSplit.Test, 500).Select(i => i.Problem.Text).ToList();
            return !train.Overlaps(validation) && !train.Overlaps(test) && !validation.Overlaps(test);
        }));

    [Fact]
    public void Small_level_1_space_still_gives_disjoint_splits_at_scale()
    {
        // level 1 has a few thousand distinct problems: a large train stream revisits all of them
        var train = new StepMathGenerator(1).GenerateLevel(StepMathSplit.Train, 1).Take(100_000).Select(i => i.Problem.Text).ToHashSet();
        var test = new StepMathGenerator(2).GenerateLevel(StepMathSplit.Test, 1).Take(300).Select(i => i.Problem.Text).ToList();
        Assert.DoesNotContain(test, train.Contains);
        output.WriteLine($"level 1: {train.Count} distinct train problems");
    }

    [Fact]
    public void Evaluation_splits_hold_distinct_problems()
    {
        var texts = new StepMathGenerator(9).Generate(StepMathSplit.Test, 1500).Select(i => i.Problem.Text).ToList();
        Assert.Equal(texts.Count, texts.Distinct().Count());
    }

    [Fact]
    public void Levels_take_turns_and_count_the_steps()
    {
        var items = new StepMathGenerator(4).Generate(StepMathSplit.Validation, 500).ToList();
        for (int i = 0; i < items.Count; i++)
        {
            Assert.Equal(i % 5 + 1, items[i].Level);
            Assert.Equal(i / 5, items[i].Index);
            Assert.Equal(items[i].Level, items[i].Problem.Level);
            Assert.Equal(items[i].Level, Regex.Count(items[i].Problem.Solution, Regex.Escape(SolutionFormat.StepStart)));
        }
    }

    [Fact]
    public void Same_seed_same_problems_other_seed_other_problems()
    {
        string[] Texts(int seed) => new StepMathGenerator(seed).Generate(StepMathSplit.Train, 300).Select(i => i.Problem.Text).ToArray();
        Assert.Equal(Texts(7), Texts(7));
        Assert.NotEqual(Texts(7), Texts(8));
    }

    [Fact]
    public void A_unique_id_regenerates_its_problem()
    {
        var g = new StepMathGenerator(12);
        foreach (var item in g.Generate(StepMathSplit.Test, 60).Where((_, i) => i % 7 == 0))
        {
            Assert.Matches(@"^stepmath/test/[1-5]/\d{5}$", item.UniqueId);
            Assert.Equal(item.Problem.Text, g.Regenerate(item.UniqueId).Problem.Text);
        }
        Assert.Throws<QuantReasonException>(() => g.Regenerate("test/precalculus/807.json"));
    }

    [Fact]
    public void Sequences_fit_the_token_budget_and_level_5_mostly_within_96()
    {
        var report = new LengthReport();
        foreach (var item in new StepMathGenerator(6).Generate(StepMathSplit.Train, 20_000)) report.Add(item);
        foreach (var l in report.Levels())
        {
            output.WriteLine($"level {l.Level}: min {l.Min} median {l.Median} p95 {l.P95} max {l.Max}, {l.ShareWithin96:P1} within 96");
            Assert.True(l.Max <= 94);
        }
        Assert.True(report.Levels().Single(l => l.Level == 5).Median >= 70, "level 5 should use its budget, not collapse to tiny problems");
    }

    [Fact]
    public void Levels_outside_1_to_5_are_rejected() =>
        Assert.Throws<QuantReasonException>(() => new StepMathGenerator(0).GenerateLevel(StepMathSplit.Train, 6).First());

    [Fact]
    public void Word_problems_of_every_kind_appear()
    {
        var kinds = new StepMathGenerator(2).Generate(StepMathSplit.Train, 5000).Select(i => i.Problem.Kind).ToHashSet();
        Assert.Equal(Enum.GetValues<ProblemKind>().ToHashSet(), kinds);
    }

    // This thread's CPU time, not wall time or the process's: the machine is shared and other test classes run beside
    // this one, and the claim is about the work, not the queue.
    [Fact]
    public void A_hundred_thousand_problems_generate_and_serialise_in_seconds()
    {
        var clock = Stopwatch.StartNew();
        var (n, used) = ThreadCpu.Measure(() => StepMathJsonl.Write(Stream.Null, new StepMathGenerator(1).Generate(StepMathSplit.Train, 100_000)));
        clock.Stop();
        output.WriteLine($"{n} problems: {clock.Elapsed.TotalSeconds:F2} s wall, {used.TotalSeconds:F2} s CPU ({n / used.TotalSeconds:F0} per CPU second)");
        Assert.True(used.TotalSeconds < 5, $"{used.TotalSeconds:F1} s CPU for 100k problems");
    }

    [Fact, Trait("Category", "Slow")]
    public void A_million_problems_take_seconds_not_minutes()
    {
        var clock = Stopwatch.StartNew();
        var (n, used) = ThreadCpu.Measure(() => StepMathJsonl.Write(Stream.Null, new StepMathGenerator(1).Generate(StepMathSplit.Train, 1_000_000)));
        output.WriteLine($"{n} problems: {clock.Elapsed.TotalSeconds:F2} s wall, {used.TotalSeconds:F2} s CPU");
        Assert.True(used.TotalSeconds < 30, $"{used.TotalSeconds:F1} s CPU for 1M problems");
    }
}
