using QuantReason.Judging;

namespace QuantReason.Tests.Judging;

public sealed class PanelConfigTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("qr-panel-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string Write(string yaml)
    {
        var p = Path.Combine(_dir, "panel.yaml");
        File.WriteAllText(p, yaml);
        return p;
    }

    [Fact]
    public void A_panel_file_is_read_with_keys_from_the_environment_and_defaults()
    {
        File.WriteAllText(Path.Combine(_dir, "short.txt"), "{problem}\n{steps}");
        var c = PanelConfig.Load(Write("""
            name: study
            judges:
              - { name: a, url: http://127.0.0.1:8000/v1, model: m1, key_env: A_KEY, temperature: 0.3, concurrency: 4 }
              - { name: b, url: http://127.0.0.1:8000, model: m2, prompt_file: short.txt }
              - { name: checker, kind: step-checker }
            baseline: { name: r1, url: https://example.org/v1, model: r1, key_env: R1_KEY }
            review_sample: 0.05
            seed: 3
            """), v => v switch { "A_KEY" => "sk-a", "R1_KEY" => "sk-r1", _ => null });
        Assert.Equal(("study", 3, 0.05), (c.Name, c.Seed, c.ReviewSample));
        Assert.Equal(["a", "b", "checker"], c.Judges.Select(j => j.Name));
        Assert.Equal(("sk-a", 0.3, 4), (c.Judges[0].ApiKey, c.Judges[0].Temperature, c.Judges[0].Concurrency));
        Assert.Equal("{problem}\n{steps}", c.Judges[1].PromptTemplate);
        Assert.Equal(JudgeKind.StepChecker, c.Judges[2].Kind);
        Assert.Equal("sk-r1", c.Baseline!.ApiKey);
    }

    [Theory]
    [InlineData("judges:\n  - { name: a, url: http://h/v1, key_env: NOT_SET_ANYWHERE }", "key variable 'NOT_SET_ANYWHERE' is not set")]
    [InlineData("judges:\n  - { name: a, url: ftp://h }", "absolute http(s) 'url'")]
    [InlineData("judges:\n  - { name: a, kind: oracle }", "unknown judge kind 'oracle'")]
    [InlineData("judges:\n  - { name: a, kind: step-checker }\n  - { name: a, kind: step-checker }", "judge name 'a' is used twice")]
    [InlineData("judges: []", "names no judges")]
    [InlineData("judges:\n  - { name: a, url: http://h, prompt: 'no placeholders' }", "lacks the placeholder {problem}")]
    [InlineData("judges:\n  - { name: a, url: http://h, tempreature: 1 }", "malformed panel file")]
    public void A_bad_panel_file_is_one_clear_error_naming_it(string yaml, string message)
    {
        var path = Write(yaml);
        var e = Assert.Throws<QuantReasonException>(() => PanelConfig.Load(path, _ => null));
        Assert.Contains(message, e.Message);
        Assert.Contains(path, e.Message);
    }
}
