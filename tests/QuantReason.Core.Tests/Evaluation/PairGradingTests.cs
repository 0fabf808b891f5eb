using System.Text.Json.Nodes;
using QuantReason.Evaluation;

namespace QuantReason.Tests.Evaluation;

public sealed class PairGradingTests : IDisposable
{
    readonly string _path = Path.Combine(Path.GetTempPath(), $"pairs-{Guid.NewGuid():N}.jsonl");

    public void Dispose() => File.Delete(_path);

    [Fact]
    public void Each_line_comes_back_with_its_verdict_and_the_deciding_comparison()
    {
        File.WriteAllLines(_path,
        [
            """{"gold": "\\frac{1}{2}", "prediction": "5E-01", "problem": "p"}""",
            """{"gold": "(1,2]", "prediction": "[1,2)"}""",
            """{"gold": 7, "prediction": null}""",
        ]);
        var sw = new StringWriter();
        var result = PairGrading.Grade(_path, sw);
        Assert.Equal((3, 1), (result.Total, result.Equivalent));
        var lines = sw.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.Equal([true, false, false], lines.Select(l => l["verdict"]!.GetValue<bool>()));
        Assert.Equal(["rational", "interval", "no_answer"], lines.Select(l => l["decided_by"]!.GetValue<string>()));
        Assert.Equal("p", lines[0]["problem"]!.GetValue<string>());
    }

    [Fact]
    public void A_line_without_gold_names_the_field_and_line()
    {
        File.WriteAllLines(_path, ["""{"gold": "1", "prediction": "1"}""", """{"prediction": "1"}"""]);
        var e = Assert.Throws<QuantReasonException>(() => PairGrading.Grade(_path, TextWriter.Null));
        Assert.Equal($"{_path}:2", e.Where);
        Assert.Contains("'gold'", e.Message);
    }
}
