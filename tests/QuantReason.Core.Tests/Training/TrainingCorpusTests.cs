using QuantReason.Training;
using QuantReason.Data.Prompts;
using QuantReason.Data.StepMath;
using QuantReason.Tokenizers;

namespace QuantReason.Tests.Training;

public class TrainingCorpusTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("qr-corpus-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void A_sequence_is_the_evaluation_prompt_then_the_solution_and_eos_with_only_those_as_targets()
    {
        var tok = StepMathTokenizer.Write(_dir);
        var prompt = PromptTemplate.Load(RepoFiles.PathOf("data", "prompts", "step-tags.yaml"));
        var items = new StepMathGenerator(3).Generate(StepMathSplit.Train, 50).ToList();
        var corpus = TrainingCorpus.Build(TrainingCorpus.StepMath(StepMathSplit.Train, 3, 50, 0.3), prompt, tok, 96);
        Assert.Equal(50, corpus.Sequences.Count);
        for (int i = 0; i < items.Count; i++)
        {
            var seq = corpus.Sequences[i];
            var mask = corpus.Masks[i];
            var promptIds = tok.Encode(TrainingCorpus.RenderPrompt(prompt, tok, items[i].Problem.Text), addSpecialTokens: false);
            Assert.Equal(tok.BosId, seq[0]);
            Assert.Equal(promptIds, seq[..promptIds.Length]);
            Assert.Equal(items[i].Problem.Solution, tok.Decode(seq[promptIds.Length..^1], skipSpecialTokens: false));
            Assert.Equal(tok.EosIds[0], seq[^1]);
            Assert.All(mask[..promptIds.Length], m => Assert.Equal(0, m));
            Assert.All(mask[promptIds.Length..], m => Assert.Equal(1, m));
            Assert.Equal(StepMathGenerator.TokenLength(items[i].Problem) + 2, seq.Length);
        }
    }

    [Fact]
    public void A_jsonl_line_without_a_solution_is_an_error_naming_file_and_line()
    {
        var path = Path.Combine(_dir, "data.jsonl");
        File.WriteAllText(path, "{\"problem\": \"1+2\", \"solution\": \"x\"}\n\n{\"problem\": \"3+4\"}\n");
        var e = Assert.Throws<QuantReasonException>(() => TrainingCorpus.Jsonl(path).ToList());
        Assert.Equal($"{path}:3", e.Where);
        Assert.Contains("'solution'", e.Message);
    }

    [Fact]
    public void A_character_outside_the_vocabulary_or_an_overlong_example_names_its_line()
    {
        var tok = StepMathTokenizer.Write(_dir);
        var prompt = PromptTemplate.Load(RepoFiles.PathOf("data", "prompts", "step-tags.yaml"));
        var path = Path.Combine(_dir, "data.jsonl");
        File.WriteAllText(path, "{\"problem\": \"1+2\", \"solution\": \"3\"}\n{\"problem\": \"What is 3+4?\", \"solution\": \"7\"}\n");
        var e = Assert.Throws<QuantReasonException>(() => TrainingCorpus.Build(TrainingCorpus.Jsonl(path), prompt, tok, 96));
        Assert.Equal($"{path}:2", e.Where);
        File.WriteAllText(path, "{\"problem\": \"1+2\", \"solution\": \"" + new string('3', 100) + "\"}\n");
        Assert.Contains("max_length", Assert.Throws<QuantReasonException>(() => TrainingCorpus.Build(TrainingCorpus.Jsonl(path), prompt, tok, 96)).Message);
    }
}
