using QuantReason.Evaluation;
using QuantReason.Evaluation.Equivalence;
using QuantReason.Data.Prompts;
using QuantReason.Tests;
using QuantReason.Tests.Evaluation;

namespace QuantReason.Tests.Data.Prompts;

public sealed class PromptTemplateTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("qr-prompts-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string> ShippedPrompts()
    {
        var data = new TheoryData<string>();
        foreach (var name in PromptLibrary.Names(PromptLibrary.DefaultDirectory()!)) data.Add(name);
        return data;
    }

    /// <summary>Every shipped prompt loads, and each worked example's solution yields its stated answer under our own
    /// extractor and grader: a shot that taught the model a format we cannot read would fail here.</summary>
    [Theory]
    [MemberData(nameof(ShippedPrompts))]
    public void Shipped_prompts_load_and_their_shots_grade_correct(string name)
    {
        var p = PromptLibrary.Load(name);
        Assert.Equal(name, p.Name);
        Assert.Equal(64, p.Digest.Length);
        foreach (var shot in p.Shots)
        {
            var extracted = AnswerExtractor.Extract(shot.Solution);
            Assert.True(Grader.Equivalent(shot.Answer, extracted.Answer).Equivalent, $"{name}: {shot.Answer} vs {extracted.Answer}");
        }
        var rendered = p.Kind == PromptKind.Chat ? string.Join("\n", p.Messages("PROBLEM-TEXT").Select(m => m.Content)) : p.Completion("PROBLEM-TEXT");
        Assert.Contains("PROBLEM-TEXT", rendered);
        Assert.DoesNotContain("{problem}", rendered);
    }

    [Fact]
    public void The_standard_prompts_are_shipped()
    {
        var names = PromptLibrary.Names(PromptLibrary.DefaultDirectory()!);
        Assert.Superset(new HashSet<string> { "zero-shot-boxed", "minerva-math-4shot", "gsm8k-8shot-cot", "step-tags" }, names.ToHashSet());
        Assert.Equal(4, PromptLibrary.Load("minerva-math-4shot").Shots.Count);
        Assert.Equal(8, PromptLibrary.Load("gsm8k-8shot-cot").Shots.Count);
    }

    [Fact]
    public void Chat_and_completion_rendering()
    {
        var chat = PromptLibrary.Load("step-tags").Messages("What is 1+1?");
        Assert.Equal(["system", "user", "assistant", "user"], chat.Select(m => m.Role));
        Assert.Equal("What is 1+1?", chat[^1].Content);
        var completion = PromptLibrary.Load("minerva-math-4shot").Completion("What is 1+1?");
        Assert.StartsWith("Problem:\nFind the domain", completion);
        Assert.EndsWith("Problem:\nWhat is 1+1?\n\nSolution:", completion);
    }

    string Write(string text)
    {
        var path = Path.Combine(_dir, $"p{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, text);
        return path;
    }

    [Theory]
    [InlineData("name: x\nkind: chat\ninstruction: no slot\n", "{problem}")]
    [InlineData("name: x\nkind: poem\ninstruction: \"{problem}\"\n", "'kind'")]
    [InlineData("kind: chat\ninstruction: \"{problem}\"\n", "'name'")]
    [InlineData("name: x\nkind: completion\ninstruction: \"{problem}\"\nshots:\n  - problem: a\n    solution: b\n    answer: c\n", "shot_format")]
    [InlineData("name: x\nkind: chat\ninstruction: \"{problem}\"\nshots:\n  - problem: a\n    solution: b\n", "shots[0].answer")]
    public void Invalid_prompt_files_name_the_field(string yaml, string expected)
    {
        var path = Write(yaml);
        var e = Assert.Throws<QuantReasonException>(() => PromptTemplate.Load(path));
        Assert.Contains(expected, e.Message);
        Assert.Equal(path, e.Where);
    }

    [Fact]
    public void Malformed_yaml_names_file_and_line()
    {
        var path = Write("name: x\nkind: chat\ninstruction: a: b: c\n");
        var e = Assert.Throws<QuantReasonException>(() => PromptTemplate.Load(path));
        Assert.StartsWith($"{path}:3", e.Where);
    }

    [Fact]
    public void Unknown_names_list_the_available_prompts()
    {
        var e = Assert.Throws<QuantReasonException>(() => PromptLibrary.Load("nope"));
        Assert.Contains("zero-shot-boxed", e.Message);
    }
}
