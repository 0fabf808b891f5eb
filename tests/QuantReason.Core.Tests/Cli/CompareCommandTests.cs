using QuantReason.Cli;
using QuantReason.Evaluation.Runs;
using QuantReason.Tests.Evaluation.Runs;

namespace QuantReason.Tests.Cli;

public sealed class CompareCommandTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("qr-compare-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = Commands.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    /// <summary>A run of 10 problems answered correctly where <paramref name="correct"/> says so.</summary>
    string MakeRun(string name, Func<int, bool> correct, QuantizationInfo? quantization = null, string dataset = "toy")
    {
        var path = Path.Combine(_dir, name);
        using var run = RunDirectory.OpenOrCreate(path, RunFixtures.Manifest(name) with
        {
            Quantization = quantization,
            // a digest in the run-directory convention (plain SHA-256 hex), one per dataset name
            Dataset = new DatasetInfo(dataset, null, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(dataset))), 10),
        });
        for (int i = 0; i < 10; i++) run.Append(new PredictionRecord { ProblemId = $"p{i}", Gold = "1", Correct = correct(i) });
        return path;
    }

    [Fact]
    public void Runs_are_tabled_against_the_baseline_in_each_format()
    {
        var fp = MakeRun("fp", i => i < 8);
        var q4 = MakeRun("q4", i => i < 6, new QuantizationInfo("gptq", 4, 128, true, false, null));
        var md = Run("compare", q4, "--baseline", fp);
        Assert.True(md.Code == 0, md.Err);
        Assert.Contains("| toy | gptq | 4 | 10 | 80.00 | 60.00 | 20.00 | 25.00 |", md.Out);
        var csv = Run("compare", q4, "--baseline", fp, "--format", "csv");
        Assert.Contains("toy,gptq,4,10,80,60,20,25,2,0,0.5,", csv.Out);
        var file = Path.Combine(_dir, "table.tex");
        var tex = Run("compare", q4, "--baseline", fp, "--format", "latex", "--out", file);
        Assert.Equal(0, tex.Code);
        Assert.Contains("\\toprule", File.ReadAllText(file));
    }

    /// <summary>
    /// compare and study print Δ the same way, as the README's table does: points lost against the baseline, positive
    /// for a run that answers fewer problems, under a header that says so.
    /// </summary>
    [Fact]
    public void Delta_is_the_points_lost_as_in_the_study_table()
    {
        var fp = MakeRun("fp", i => i < 9);
        var worse = MakeRun("worse", i => i < 6, new QuantizationInfo("rtn", 3, 32, false, false, null));
        var better = MakeRun("better", _ => true, new QuantizationInfo("rtn", 8, 32, false, false, null));
        var (code, stdout, err) = Run("compare", worse, better, "--baseline", fp);
        Assert.True(code == 0, err);
        Assert.Contains("| Δ (points lost) | Δ% (lost) |", stdout);
        Assert.Contains("| toy | rtn | 3 | 10 | 90.00 | 60.00 | 30.00 | 33.33 |", stdout);
        Assert.Contains("| toy | rtn | 8 | 10 | 90.00 | 100.00 | −10.00 | −11.11 |", stdout);
    }

    [Fact]
    public void Runs_over_different_datasets_are_refused_naming_the_run()
    {
        var fp = MakeRun("fp", _ => true);
        var other = MakeRun("other", _ => true, dataset: "gsm8k");
        var (code, _, err) = Run("compare", other, "--baseline", fp);
        Assert.Equal(1, code);
        Assert.StartsWith($"error: {other}: evaluated on dataset 'gsm8k'", err);
        Assert.Contains("'toy'", err);
        Assert.Single(err.TrimEnd().Split('\n'));
    }

    [Fact]
    public void An_unknown_format_and_a_missing_run_are_one_line_errors()
    {
        var fp = MakeRun("fp", _ => true);
        Assert.Contains("unknown format", Run("compare", fp, "--baseline", fp, "--format", "xlsx").Err);
        var missing = Run("compare", Path.Combine(_dir, "nope"), "--baseline", fp);
        Assert.Equal(1, missing.Code);
        Assert.Contains("manifest.json is missing", missing.Err);
    }
}
