using QuantReason.Cli;
using QuantReason.Evaluation.Runs;
using QuantReason.Tests.Evaluation.Imports;

namespace QuantReason.Tests.Cli;

public sealed class ImportCommandTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("qr-import-cli-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void Eval_import_grades_a_log_into_a_run_and_prints_the_score()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "model-x"));
        var file = Path.Combine(_dir, "model-x", "gsm8k.json");
        File.WriteAllText(file, ImportSamples.OpenCompassGsm8k);
        var run = Path.Combine(_dir, "run");
        var o = new StringWriter();
        var e = new StringWriter();
        var code = Commands.Run(["eval", "import", "--format", "opencompass", file, "--out", run], o, e);
        Assert.True(code == 0, e.ToString());
        Assert.Contains("2 predictions of model-x imported", o.ToString());
        Assert.Contains("100.00 %", o.ToString());
        Assert.Equal(2, RunDirectory.ReadManifest(run).Counts.Correct);
    }

    [Fact]
    public void An_unknown_format_is_one_clear_line()
    {
        var e = new StringWriter();
        var code = Commands.Run(["eval", "import", "--format", "helm", "x.json", "--out", Path.Combine(_dir, "r")], new StringWriter(), e);
        Assert.Equal(1, code);
        Assert.Equal("error: --format: unknown import format 'helm' (lm-eval, opencompass)", e.ToString().TrimEnd());
    }
}
