using System.Text.Json;
using QuantReason.Cli;
using QuantReason.Data.StepMath;
using QuantReason.Judging;

namespace QuantReason.Tests.Cli;

// Console redirection is process-wide: keep the CLI tests out of parallel runs with each other.
[Collection("Console")]
public class StepMathCommandTests
{
    static (int Code, string Out, string Err) Run(params string[] args)
    {
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        var (o, e) = (new StringWriter(), new StringWriter());
        Console.SetOut(o);
        Console.SetError(e);
        try { return (Commands.Run(args), o.ToString(), e.ToString()); }
        finally { Console.SetOut(oldOut); Console.SetError(oldErr); }
    }

    [Fact]
    public void Generate_then_verify_labels_every_mutation_it_was_given()
    {
        var dir = Directory.CreateTempSubdirectory("stepmath-cli").FullName;
        var data = Path.Combine(dir, "test.jsonl");
        var (code, _, err) = Run("stepmath", "generate", "--split", "test", "--n", "200", "--seed", "4", "--out", data);
        Assert.True(code == 0, err);
        var records = StepMathJsonl.Read(data).ToList();
        Assert.Equal(200, records.Count);

        // predictions: correct outputs and mutated ones, with ids the verifier must resolve by regenerating (no --dataset)
        var rng = new StepRandom(3);
        var expected = new List<(StepErrorType Type, int Step)>();
        var lines = new List<string>();
        var types = Enum.GetValues<StepErrorType>();
        foreach (var r in records)
        {
            var problem = StepMathProblem.Parse(r.Problem);
            var type = types[lines.Count % types.Length];
            var m = type == StepErrorType.None ? null : StepMutator.Mutate(problem, type, ref rng);
            var output = m?.Output ?? r.Solution;
            expected.Add(m is null ? (StepErrorType.None, -1) : (m.Type, m.FirstErrorStep));
            lines.Add(JsonSerializer.Serialize(new { problem_id = r.UniqueId, sample = 0, prompt = r.Problem, output, gold = r.Answer }));
        }
        var predictions = Path.Combine(dir, "predictions.jsonl");
        File.WriteAllLines(predictions, lines);

        (code, var stdout, err) = Run("stepmath", "verify", "--predictions", predictions, "--seed", "4");
        Assert.True(code == 0, err);
        Assert.Contains("computational_error", stdout);
        var labels = File.ReadAllLines(Path.Combine(dir, "labels.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(records.Count, labels.Count);
        for (int i = 0; i < labels.Count; i++)
        {
            var v1 = labels[i].GetProperty("error_type_v1").GetString();
            var v2 = labels[i].GetProperty("error_type").GetString();
            var got = v2 == "format_error" ? StepErrorType.FormatError
                : v1 is null ? StepErrorType.None : StepErrorTypes.V1Types.Single(t => t.V1Id() == v1);
            Assert.Equal(expected[i], (got, labels[i].GetProperty("first_error_step").GetInt32()));
            Assert.Equal("verifier", labels[i].GetProperty("labeller").GetString());
        }
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Bad_input_prints_one_error_line_and_exits_1()
    {
        var dir = Directory.CreateTempSubdirectory("stepmath-cli").FullName;
        var (code, _, err) = Run("stepmath", "generate", "--split", "dev", "--n", "5", "--out", Path.Combine(dir, "x.jsonl"));
        Assert.Equal((1, "error: --split: unknown split 'dev' (expected train, validation or test)"), (code, err.Trim()));

        var predictions = Path.Combine(dir, "predictions.jsonl");
        File.WriteAllLines(predictions, ["{\"problem_id\":\"stepmath/test/1/00000\",\"sample\":0,\"prompt\":\"\",\"output\":\"\",\"gold\":\"1\"}", "{\"problem_id\":\"q\",\"sample\":0,\"prompt\":\"solve x^2=4\",\"output\":\"\",\"gold\":\"2\"}"]);
        (code, _, err) = Run("stepmath", "verify", "--predictions", predictions);
        Assert.Equal(1, code);
        Assert.StartsWith($"error: {predictions}:2: ", err.Trim());
        Assert.Single(err.Trim().Split('\n'));
        Directory.Delete(dir, true);
    }
}
