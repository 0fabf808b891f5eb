using QuantReason.Cli;
using QuantReason.Evaluation.Runs;

namespace QuantReason.Tests.Cli;

public sealed class GradeCommandTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("qr-grade-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Pairs_are_written_back_graded_and_malformed_lines_fail_under_strict()
    {
        var input = Path.Combine(_dir, "pairs.jsonl");
        File.WriteAllLines(input, ["""{"gold": "x=1, x=2", "prediction": "2,1"}""", "{oops", """{"gold": "2", "prediction": "3"}"""]);
        Assert.Equal(0, Commands.Run(["grade", "--pairs", input]));
        var graded = File.ReadAllLines(Path.Combine(_dir, "pairs.graded.jsonl"));
        Assert.Equal(2, graded.Length);
        Assert.Contains("\"verdict\":true", graded[0]);
        Assert.Contains("\"verdict\":false", graded[1]);

        var strictOut = Path.Combine(_dir, "strict.jsonl");
        Assert.Equal(1, Commands.Run(["grade", "--pairs", input, "--strict", "--out", strictOut]));
        Assert.Empty(Directory.GetFiles(_dir, "strict.jsonl*"));
    }

    [Fact]
    public void Predictions_are_regraded_in_place()
    {
        var file = Path.Combine(_dir, RunDirectory.PredictionsFile);
        var stale = new PredictionRecord
        {
            ProblemId = "1", Gold = @"\frac{1}{2}", Output = @"Thus $\boxed{0.5}$.", Extracted = "0.5", Correct = false,
        };
        File.WriteAllText(file, System.Text.Json.JsonSerializer.Serialize(stale, RunJson.Line) + "\n");
        Assert.Equal(0, Commands.Run(["grade", "--predictions", file]));
        var regraded = RunDirectory.ReadPredictions(file, strict: true).Single();
        Assert.True(regraded.Correct);
        Assert.Equal(QuantReason.Evaluation.ExtractionRule.Boxed, regraded.Rule);
        Assert.Equal(QuantReason.Evaluation.Equivalence.Decision.Rational, regraded.DecidedBy);
    }

    [Fact]
    public void Pairs_are_extracted_on_both_sides_unless_told_not_to()
    {
        var input = Path.Combine(_dir, "raw.jsonl");
        File.WriteAllLines(input, ["""{"gold": "The answer is $7$.", "prediction": "so we get \\boxed{7}"}"""]);
        Assert.Equal(0, Commands.Run(["grade", "--pairs", input]));
        var line = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "raw.graded.jsonl")))!;
        Assert.True(line["verdict"]!.GetValue<bool>());
        Assert.Equal(("7", "the_answer_is", "7", "boxed"), (line["gold_extracted"]!.GetValue<string>(), line["gold_rule"]!.GetValue<string>(),
            line["extracted"]!.GetValue<string>(), line["rule"]!.GetValue<string>()));

        var asWritten = Path.Combine(_dir, "as-written.jsonl");
        Assert.Equal(0, Commands.Run(["grade", "--pairs", input, "--no-extract", "--out", asWritten]));
        var plain = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(asWritten))!;
        Assert.False(plain["verdict"]!.GetValue<bool>());
        Assert.Null(plain["rule"]);
    }

    [Fact]
    public void Exactly_one_input_is_required() => Assert.Equal(1, Commands.Run(["grade"]));
}
