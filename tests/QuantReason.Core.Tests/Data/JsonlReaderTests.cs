using QuantReason.Evaluation;
using QuantReason.Data;
using QuantReason.Tests;
using QuantReason.Tests.Evaluation;

namespace QuantReason.Tests.Data;

public class JsonlReaderTests
{
    const string Text = "{\"a\": 1}\n\n{\"a\": 2\n[1, 2]\n{\"a\": 3}\n";

    [Fact]
    public void Lenient_reading_skips_bad_lines_with_file_and_line_in_the_warning()
    {
        var r = JsonlReader.Read(new StringReader(Text), "data.jsonl");
        Assert.Equal([1, 5], r.Lines.Select(l => l.Line));
        Assert.Equal(3, r.Lines[1].Value.GetProperty("a").GetInt32());
        Assert.Equal(2, r.Warnings.Count);
        Assert.StartsWith("data.jsonl:3: malformed JSON", r.Warnings[0]);
        Assert.StartsWith("data.jsonl:4: expected a JSON object", r.Warnings[1]);
    }

    [Fact]
    public void Strict_reading_fails_on_the_first_bad_line_naming_it()
    {
        var e = Assert.Throws<QuantReasonException>(() => JsonlReader.Read(new StringReader(Text), "data.jsonl", strict: true));
        Assert.Equal("data.jsonl:3", e.Where);
        Assert.Contains("malformed JSON", e.Message);
    }

    [Fact]
    public void A_missing_file_is_a_clear_error()
    {
        var path = Path.Combine(Path.GetTempPath(), $"absent-{Guid.NewGuid():N}.jsonl");
        var e = Assert.Throws<QuantReasonException>(() => JsonlReader.Read(path));
        Assert.Equal(path, e.Where);
    }
}
