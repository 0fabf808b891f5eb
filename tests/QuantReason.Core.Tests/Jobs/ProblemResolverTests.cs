using QuantReason.Data.StepMath;
using QuantReason.Jobs;
using QuantReason.Tests;

namespace QuantReason.Tests.Jobs;

public class ProblemResolverTests
{
    [Fact]
    public void Ids_regenerate_with_the_seed_and_datasets_take_precedence()
    {
        var items = new StepMathGenerator(3).Generate(StepMathSplit.Test, 40).ToList();
        var byId = new ProblemResolver(null, 3);
        foreach (var item in items.AsEnumerable().Reverse())
            Assert.Equal(item.Problem.Text, byId.Resolve(item.UniqueId, null, "t").Text);

        var path = Path.Combine(Path.GetTempPath(), $"ds-{Guid.NewGuid():N}.jsonl");
        using (var f = File.Create(path)) StepMathJsonl.Write(f, new StepMathGenerator(99).Generate(StepMathSplit.Test, 10));
        var fromFile = new ProblemResolver(path, 3);
        var other = new StepMathGenerator(99).Generate(StepMathSplit.Test, 10).Last();
        Assert.Equal(other.Problem.Text, fromFile.Resolve(other.UniqueId, null, "t").Text);
        File.Delete(path);
    }

    [Fact]
    public void A_regenerated_problem_missing_from_the_prompt_is_an_error_not_a_mislabel()
    {
        var item = new StepMathGenerator(3).Generate(StepMathSplit.Test, 1).Single();
        var prompt = $"Solve:\n{item.Problem.Text}";
        Assert.Equal(item.Problem.Text, new ProblemResolver(null, 3).Resolve(item.UniqueId, prompt, "t").Text);
        var e = Assert.Throws<QuantReasonException>(() => new ProblemResolver(null, 4).Resolve(item.UniqueId, prompt, "pred.jsonl:1"));
        Assert.Equal("pred.jsonl:1", e.Where);
        Assert.Contains("--seed", e.Message);
    }

    [Fact]
    public void Other_ids_read_the_problem_from_the_prompts_last_line()
    {
        var r = new ProblemResolver(null, 0);
        Assert.Equal("rest 100 3@12", r.Resolve("17", "Solve step by step.\nrest 100 3@12\n", "t").Text);
        var e = Assert.Throws<QuantReasonException>(() => r.Resolve("17", null, "pred.jsonl:4"));
        Assert.Equal("pred.jsonl:4", e.Where);
    }
}
