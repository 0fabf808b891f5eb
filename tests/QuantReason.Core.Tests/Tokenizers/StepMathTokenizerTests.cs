using PromptTemplate = QuantReason.Data.Prompts.PromptTemplate;
using QuantReason.Tokenizers;
using QuantReason.Data.StepMath;
using QuantReason.Tests;

namespace QuantReason.Tests.Tokenizers;

public class StepMathTokenizerTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("qr-smtok-").FullName;
    readonly ITokenizer _tok;

    public StepMathTokenizerTests() => _tok = StepMathTokenizer.Write(_dir);

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void Vocabulary_is_the_generator_alphabet_the_four_tags_and_three_specials()
    {
        Assert.Equal(StepMathGenerator.Alphabet.Length + 4 + 3, _tok.VocabSize);
        foreach (var tag in SolutionFormat.Tags)
        {
            var id = Assert.Single(_tok.Encode(tag, addSpecialTokens: false));
            Assert.False(_tok.IsSpecial(id));
        }
        Assert.True(_tok.IsSpecial(_tok.BosId!.Value) && _tok.IsSpecial(_tok.EosIds[0]) && _tok.IsSpecial(_tok.PadId!.Value));
    }

    [Fact]
    public void Generated_problems_and_solutions_round_trip_at_the_generator_token_length()
    {
        var gen = new StepMathGenerator(7);
        foreach (var split in Enum.GetValues<StepMathSplit>())
            foreach (var item in gen.Generate(split, 1000))
            {
                var text = item.Problem.Text + item.Problem.Solution;
                var ids = _tok.Encode(text, addSpecialTokens: false);
                Assert.Equal(StepMathGenerator.TokenLength(item.Problem), ids.Length);
                Assert.Equal(text, _tok.Decode(ids, skipSpecialTokens: true));
                var withBos = _tok.Encode(text, addSpecialTokens: true);
                Assert.Equal(_tok.BosId, withBos[0]);
                Assert.Equal(text, _tok.Decode(withBos, skipSpecialTokens: true));
            }
    }

    [Fact]
    public void The_step_tags_prompt_renders_a_problem_as_bos_and_the_problem()
    {
        var prompt = PromptTemplate.Load(RepoFiles.PathOf("data", "prompts", "step-tags.yaml"));
        var template = ChatTemplate.For(_tok);
        Assert.Equal(ChatTemplateKind.LastUserTurn, template.Kind);
        var messages = prompt.Messages("65*12").Select(m => new ChatMessage(m.Role, m.Content)).ToList();
        Assert.Equal("<s>65*12", template.Render(messages, addGenerationPrompt: true));
    }
}
