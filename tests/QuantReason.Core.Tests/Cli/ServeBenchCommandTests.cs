using static QuantReason.Tests.Cli.CliRun;
using QuantReason.Tests.Jobs;

namespace QuantReason.Tests.Cli;

public sealed class ServeBenchCommandTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("qr-serve-bench-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>
    /// The shipped model's character vocabulary cannot encode the built-in English questions; with only --model the
    /// requests are its own StepMath problems, and a prompt source it cannot encode is refused naming --prompts.
    /// </summary>
    [ReferenceModelFact]
    public void Serve_bench_with_only_the_model_sends_prompts_its_tokenizer_encodes()
    {
        var (code, stdout, err) = Run("serve-bench", "--model", StudyRunnerTests.Model, "--requests", "8", "--concurrency", "2", "--max-tokens", "4", "--json");
        Assert.True(code == 0, err);
        Assert.Contains("\"errors\": 0", stdout);

        var english = Path.Combine(_dir, "questions.txt");
        File.WriteAllText(english, "Question 1: what is 2 + 2? Answer:\n\nQuestion 2: what is 3 + 5? Answer:\n");
        var bad = Run("serve-bench", "--model", StudyRunnerTests.Model, "--requests", "2", "--prompts", english);
        Assert.Equal(1, bad.Code);
        Assert.Contains("give --prompts stepmath, gsm8k, math or a text/JSONL file", bad.Err);
        Assert.Single(bad.Err.TrimEnd().Split('\n'));
    }
}
