using System.Text.RegularExpressions;
using QuantReason.Judging;
using QuantReason.Tests;

namespace QuantReason.Tests.Judging;

public class TaxonomyTests
{
    /// <summary>Rows of the markdown tables under a heading of ../shared/docs/taxonomy.md, as cell arrays.</summary>
    static List<string[]> TableUnder(string heading)
    {
        var lines = File.ReadAllLines(Shared.PathOf("docs", "taxonomy.md"));
        int start = Array.FindIndex(lines, l => l.StartsWith("## " + heading));
        return lines.Skip(start + 1).TakeWhile(l => !l.StartsWith("## "))
            .Where(l => l.StartsWith('|') && !l.StartsWith("|---") && !l.Contains("| type id |") && !l.StartsWith("| v1 |"))
            .Select(l => l.Trim('|').Split('|').Select(c => c.Trim().Trim('`')).ToArray()).ToList();
    }

    [SharedFact]
    public void V2_types_and_categories_match_the_studys_table()
    {
        var rows = TableUnder("Version 2");
        var t = Taxonomy.Default;
        Assert.Equal(rows.Select(r => (r[1], r[0], r[2])), t.V2.Select(x => (x.Id, x.Category!, x.Definition)));
        Assert.Equal(rows.Select(r => r[0]).Distinct(), t.Categories.Select(c => c.Id));
    }

    [SharedFact]
    public void V1_types_and_the_crosswalk_match_the_studys_table()
    {
        var doc = File.ReadAllText(Shared.PathOf("docs", "taxonomy.md"));
        var v1 = Regex.Match(doc, @"## Version 1.*?\n(.*?)\n").Groups[1].Value;
        var t = Taxonomy.Default;
        Assert.Equal(Regex.Matches(v1, "`([a-z_]+)`").Select(m => m.Groups[1].Value), t.V1.Select(x => x.Id));
        foreach (var r in TableUnder("Crosswalk"))
        {
            Assert.Equal(r[1], t.V2Of(r[0]).Id);
            Assert.Equal(r[2], t.CategoryOf(r[1]));
        }
        Assert.Equal(["no_error", "format_error"], t.Outcomes.Select(o => o.Id));
    }

    [Fact]
    public void Every_verifier_type_maps_to_a_v2_type_and_category()
    {
        var t = Taxonomy.Default;
        Assert.Equal(t.V1.Select(x => x.Id).Order(), StepErrorTypes.V1Types.Select(x => x.V1Id()!).Order());
        Assert.Null(StepErrorType.None.V1Id());
        Assert.Null(StepErrorType.FormatError.V1Id());
        Assert.Equal("execution", t.CategoryOf(t.V2Of(StepErrorType.ComputationError.V1Id()!).Id));
        Assert.Throws<QuantReasonException>(() => t.V2Of("arithmetic_slip"));
    }

    [Fact]
    public void A_file_that_breaks_the_crosswalk_is_rejected()
    {
        var path = Path.Combine(Path.GetTempPath(), $"taxonomy-{Guid.NewGuid():N}.json");
        var json = File.ReadAllText(RepoFiles.PathOf("data", "taxonomy.json"));
        File.WriteAllText(path, json.Replace("\"symbol_error\": \"symbolic_manipulation_error\"", "\"symbol_error\": \"typo\""));
        var e = Assert.Throws<QuantReasonException>(() => Taxonomy.Load(path));
        Assert.Contains("symbol_error", e.Message);
        Assert.Equal(path, e.Where);
        File.Delete(path);
        Assert.Equal(7, Taxonomy.Load(RepoFiles.PathOf("data", "taxonomy.json")).V2.Count);
    }
}
