using System.Text.Json;
using QuantReason.Data.StepMath;
using QuantReason.Tests;

namespace QuantReason.Tests.Data.StepMath;

public class StepMathRecordTests
{
    static string Temp(string name) => Path.Combine(Path.GetTempPath(), $"stepmath-{Guid.NewGuid():N}-{name}");

    [SharedFact]
    public void Lines_carry_exactly_the_MATH_500_field_names()
    {
        var math500 = File.ReadLines(Shared.PathOf("data", "math500", "test.jsonl")).First();
        var expected = JsonDocument.Parse(math500).RootElement.EnumerateObject().Select(p => p.Name).Order();
        var ms = new MemoryStream();
        StepMathJsonl.Write(ms, new StepMathGenerator(0).Generate(StepMathSplit.Test, 5));
        foreach (var line in System.Text.Encoding.UTF8.GetString(ms.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var root = JsonDocument.Parse(line).RootElement;
            Assert.Equal(expected, root.EnumerateObject().Select(p => p.Name).Order());
            Assert.Equal(JsonValueKind.Number, root.GetProperty("level").ValueKind); // an int, as in MATH-500
            Assert.Equal(JsonValueKind.String, root.GetProperty("answer").ValueKind);
        }
    }

    [Fact]
    public void Written_lines_read_back_as_the_generated_items()
    {
        var path = Temp("set.jsonl");
        var items = new StepMathGenerator(1).Generate(StepMathSplit.Validation, 50).ToList();
        using (var f = File.Create(path)) Assert.Equal(50, StepMathJsonl.Write(f, items));
        Assert.Contains("<|step_start|>", File.ReadAllText(path)); // tags stay readable
        Assert.Equal(items.Select(StepMathRecord.From), StepMathJsonl.Read(path));
        File.Delete(path);
    }

    [Theory]
    [InlineData("{\"problem\":\"2+3\",\"answer\":\"5\",\"subject\":\"arithmetic\",\"level\":1,\"unique_id\":\"x\"}", "lacks 'solution'")]
    [InlineData("{\"problem\":\"2+3\"", "invalid JSON")]
    public void A_bad_line_is_an_error_naming_file_and_line(string line, string message)
    {
        var path = Temp("bad.jsonl");
        File.WriteAllLines(path, [JsonSerializer.Serialize(StepMathRecord.From(new StepMathGenerator(0).Generate(StepMathSplit.Test, 1).Single()), StepMathJsonl.Json), line]);
        var e = Assert.Throws<QuantReasonException>(() => StepMathJsonl.Read(path).ToList());
        Assert.Equal($"{path}:2", e.Where);
        Assert.Contains(message, e.Message);
        File.Delete(path);
    }
}
