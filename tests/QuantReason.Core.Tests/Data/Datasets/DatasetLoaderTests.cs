using QuantReason.Data.Datasets;
using QuantReason.Tests;
using QuantReason.Tests.Evaluation;

namespace QuantReason.Tests.Data.Datasets;

public sealed class DatasetLoaderTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("qr-datasets-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string Write(string name, params string[] lines)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void Math500_schema()
    {
        var path = Write("m500.jsonl",
            """{"problem": "P", "solution": "S \\boxed{7}", "answer": "7", "subject": "Algebra", "level": 2, "unique_id": "test/algebra/1.json"}""");
        var d = DatasetLoader.Load(path);
        Assert.Equal(DatasetFormat.Math500, d.Format);
        Assert.Equal(new Problem("test/algebra/1.json", "P", "7", "Algebra", 2, "S \\boxed{7}"), d.Problems[0]);
    }

    [Fact]
    public void Math_schema_takes_the_last_box_of_the_solution_and_parses_the_level()
    {
        var path = Write("math.jsonl",
            """{"problem":"P","level":"Level 3","type":"Geometry","solution":"first \\boxed{1}, then \\boxed{\\frac{1}{2}}","idx":12}""",
            """{"problem":"Q","level":"Level ?","type":"Algebra","solution":"\\boxed{2}","idx":13}""");
        var d = DatasetLoader.Load(path);
        Assert.Equal(DatasetFormat.Math, d.Format);
        Assert.Equal(("12", @"\frac{1}{2}", "Geometry", (int?)3), (d.Problems[0].Id, d.Problems[0].Gold, d.Problems[0].Subject, d.Problems[0].Level));
        Assert.Null(d.Problems[1].Level);
    }

    [Fact]
    public void Gsm8k_schema_takes_the_hash_line_and_uses_the_line_index_as_id()
    {
        var path = Write("gsm.jsonl",
            """{"question": "Q0", "answer": "2+2=<<2+2=4>>4\n#### 4"}""",
            """{"question": "Q1", "answer": "So 1,000.\n#### 1,000"}""");
        var d = DatasetLoader.Load(path);
        Assert.Equal(DatasetFormat.Gsm8k, d.Format);
        Assert.Equal([("0", "4"), ("1", "1,000")], d.Problems.Select(p => (p.Id, p.Gold)));
        Assert.Equal("2+2=<<2+2=4>>4", d.Problems[0].Solution);
    }

    [Fact]
    public void A_record_without_the_gold_field_names_the_field_and_line()
    {
        var path = Write("bad.jsonl",
            """{"problem": "P", "answer": "1"}""",
            """{"problem": "Q"}""");
        var e = Assert.Throws<QuantReasonException>(() => DatasetLoader.Load(path));
        Assert.Equal($"{path}:2", e.Where);
        Assert.Contains("'answer'", e.Message);
    }

    [Fact]
    public void A_dataset_with_no_gold_field_at_all_names_the_fields_it_expected()
    {
        var path = Write("nogold.jsonl", """{"problem": "P", "level": 1}""");
        var e = Assert.Throws<QuantReasonException>(() => DatasetLoader.Load(path));
        Assert.Contains("'answer'", e.Message);
        Assert.Contains("'solution'", e.Message);
        Assert.Equal($"{path}:1", e.Where);
    }

    [Fact]
    public void Gsm8k_answer_without_hash_line_is_an_error()
    {
        var path = Write("nohash.jsonl", """{"question": "Q", "answer": "4"}""");
        var e = Assert.Throws<QuantReasonException>(() => DatasetLoader.Load(path));
        Assert.Contains("####", e.Message);
    }

    [Fact]
    public void Malformed_lines_are_skipped_with_warnings_or_fatal_when_strict()
    {
        var path = Write("mixed.jsonl",
            """{"question": "Q0", "answer": "#### 4"}""",
            """{"question": "Q1", "answer": """,
            """{"question": "Q2", "answer": "#### 5"}""");
        var d = DatasetLoader.Load(path);
        Assert.Equal(2, d.Problems.Count);
        Assert.Equal($"{path}:2", d.Warnings.Single()[..(path.Length + 2)]);
        var e = Assert.Throws<QuantReasonException>(() => DatasetLoader.Load(path, strict: true));
        Assert.Equal($"{path}:2", e.Where);
    }

    public static TheoryData<string> SharedDatasets => Shared.Folders("data");

    /// <summary>Every public dataset in ../shared/data loads with gold answers and (for MATH) levels and subjects.</summary>
    [SharedTheory]
    [MemberData(nameof(SharedDatasets))]
    public void Shared_datasets_load(string folder)
    {
        foreach (var file in Directory.GetFiles(Shared.PathOf("data", folder), "*.jsonl"))
        {
            if (Path.GetFileName(file).Contains("example_model_solutions")) continue; // an oracle file, not a dataset
            var d = DatasetLoader.Load(file, strict: true);
            Assert.NotEmpty(d.Problems);
            Assert.Empty(d.Warnings);
            Assert.All(d.Problems, p => Assert.False(string.IsNullOrWhiteSpace(p.Gold)));
            Assert.Equal(d.Problems.Count, d.Problems.Select(p => p.Id).Distinct().Count());
            if (d.Format != DatasetFormat.Gsm8k)
            {
                Assert.True(d.Problems.Count(p => p.Level is >= 1 and <= 5) >= d.Problems.Count * 0.99);
                Assert.All(d.Problems, p => Assert.False(string.IsNullOrEmpty(p.Subject)));
            }
        }
    }
}
