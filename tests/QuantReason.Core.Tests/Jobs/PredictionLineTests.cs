using QuantReason.Jobs;
using QuantReason.Tests;

namespace QuantReason.Tests.Jobs;

public class PredictionLineTests
{
    [Fact]
    public void Reads_the_schema_fields_and_reports_bad_lines_by_file_and_line()
    {
        var path = Path.Combine(Path.GetTempPath(), $"pred-{Guid.NewGuid():N}.jsonl");
        File.WriteAllLines(path,
        [
            "{\"problem_id\":\"stepmath/test/1/00000\",\"sample\":1,\"subject\":\"arithmetic\",\"level\":1,\"prompt\":\"2+3\",\"output\":\"x\",\"finish_reason\":\"stop\",\"correct\":false}",
            "",
            "{\"problem_id\":\"a\",\"sample\":0,\"prompt\":\"2+3\"}",
        ]);
        using var lines = PredictionLine.Read(path).GetEnumerator();
        Assert.True(lines.MoveNext());
        Assert.Equal(("stepmath/test/1/00000", 1, "2+3", "x", 1), (lines.Current.Line.ProblemId, lines.Current.Line.Sample, lines.Current.Line.Prompt, lines.Current.Line.Output, lines.Current.Line.Level));
        var e = Assert.Throws<QuantReasonException>(() => lines.MoveNext());
        Assert.Equal($"{path}:3", e.Where);
        Assert.Contains("output", e.Message);
        File.Delete(path);
        Assert.Throws<QuantReasonException>(() => PredictionLine.Read(path).ToList());
    }
}
