using QuantReason.Data.StepMath;
using QuantReason.Tests;

namespace QuantReason.Tests.Data.StepMath;

public class JsonLinesTests
{
    sealed record Row(string? Name, int Count);

    [Fact]
    public void Skips_blank_lines_and_names_the_line_of_a_missing_field()
    {
        var path = Path.Combine(Path.GetTempPath(), $"rows-{Guid.NewGuid():N}.jsonl");
        File.WriteAllLines(path, ["{\"Name\":\"a\",\"Count\":1}", "   ", "{\"Name\":\"b\",\"Count\":2}", "{\"Count\":3}"]);
        var read = new List<(Row, string)>();
        var e = Assert.Throws<QuantReasonException>(() =>
        {
            foreach (var r in JsonLines.Read<Row>(path, "rows", r => r.Name is null ? "Name" : null)) read.Add(r);
        });
        Assert.Equal([(new Row("a", 1), $"{path}:1"), (new Row("b", 2), $"{path}:3")], read);
        Assert.Equal($"{path}:4", e.Where);
        Assert.Contains("lacks 'Name'", e.Message);
        File.Delete(path);
        Assert.Contains("rows file not found", Assert.Throws<QuantReasonException>(() => JsonLines.Read<Row>(path, "rows", _ => null).ToList()).Message);
    }
}
