using QuantReason.Cli;
using QuantReason.Runtime;
using QuantReason.Tokenizers;

namespace QuantReason.Tests.Cli;

public class GenerateCommandTests(CliFixture fx) : IClassFixture<CliFixture>
{
    static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = Commands.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    [SharedFact]
    public void GreedyGenerationPrintsWhatTheRuntimeProduces()
    {
        const string prompt = "the answer is 12 = 7 + 5";
        var (code, output, err) = Run("generate", "--model", fx.Dir, "--prompt", prompt, "--max-new-tokens", "24");
        Assert.True(code == 0, err);

        var tok = TokenizerLoader.FromDirectory(fx.Dir);
        var ids = tok.Encode(prompt, addSpecialTokens: true);
        Assert.All(ids, id => Assert.InRange(id, 0, 383));
        var model = Model.Load(fx.Dir);
        var expected = new Generator(model.Transformer).Generate([ids], new GenerationOptions
        {
            MaxNewTokens = 24, VocabLimit = tok.VocabSize, StopTokenIds = tok.EosIds.Concat(model.Config.EosTokenIds).ToList(),
        })[0];
        var text = tok.Decode(expected.Tokens.Where(t => !model.Config.EosTokenIds.Contains(t)).ToArray(), skipSpecialTokens: true);
        Assert.Equal(text + Environment.NewLine, output);
    }

    [SharedFact]
    public void SeededSamplingIsReproducibleFromTheCommandLine()
    {
        string[] args = ["generate", "--model", fx.Dir, "--prompt", "in the", "--max-new-tokens", "16", "--temperature", "0.9", "--top-p", "0.9", "--seed", "11"];
        var a = Run(args);
        var b = Run(args);
        Assert.True(a.Code == 0, a.Err);
        Assert.Equal(a.Out, b.Out);
    }

    [Fact]
    public void StopStringEndsTheStreamBeforeIt()
    {
        // The embedded StepMath model: a trained model with a character vocabulary, so its greedy output is fixed text
        // ("<|step_start|>25+79=104<|step_end|>…") and the stop string is chosen from it, not from a random model's bytes.
        string model = RepoFiles.PathOf("data", "models", "stepmath-ref");
        var free = Run("generate", "--model", model, "--prompt", "25+79", "--max-new-tokens", "20").Out.TrimEnd('\n', '\r');
        Assert.Contains("=1", free);
        var cut = Run("generate", "--model", model, "--prompt", "25+79", "--max-new-tokens", "20", "--stop", "=1");
        Assert.Equal(0, cut.Code);
        Assert.Equal(free[..free.IndexOf("=1", StringComparison.Ordinal)] + Environment.NewLine, cut.Out);
    }

    [SharedFact]
    public void An_empty_stop_string_is_refused_in_one_line_naming_the_flag()
    {
        var (code, output, err) = Run("generate", "--model", fx.Dir, "--prompt", "on the", "--max-new-tokens", "4", "--stop", "");
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.StartsWith("error: --stop: a stop string must not be empty", err);
        Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [SharedFact]
    public void InspectDescribesModelAndTokenizer()
    {
        var (code, output, err) = Run("inspect", "--model", fx.Dir);
        Assert.True(code == 0, err);
        Assert.Contains("architecture", output);
        Assert.Contains("ForCausalLM", output);
        Assert.Contains("byte-level BPE (tokenizer.json)", output);
        Assert.Contains("parameters", output);
        Assert.Contains("F32", output);
    }

    [Fact]
    public void MissingModelDirectoryIsOneClearLine()
    {
        var (code, output, err) = Run("generate", "--model", "/nonexistent/model", "--prompt", "x");
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.StartsWith("error:", err);
        Assert.Contains("/nonexistent/model", err);
        Assert.Single(err.TrimEnd().Split('\n'));
    }

    [SharedFact]
    public void PromptLongerThanTheContextIsRefused()
    {
        var (code, _, err) = Run("generate", "--model", fx.Dir, "--prompt", string.Concat(Enumerable.Repeat("x y ", 600)));
        Assert.Equal(1, code);
        Assert.Contains("context", err);
    }

    [Fact]
    public void Activation_and_kv_cache_flags_run_the_scheme_and_refuse_what_a_layer_cannot_run()
    {
        string model = RepoFiles.PathOf("data", "models", "stepmath-ref");
        var w = Run("generate", "--model", model, "--prompt", "25+79", "--max-new-tokens", "20", "--activations", "a8", "--kv-cache", "kv8");
        Assert.True(w.Code == 0, w.Err);
        Assert.Contains("=104", w.Out); // the trained model still adds at W32A8KV8
        // stepmath-ref's MLP is 320 wide: groups of 128 do not tile down_proj's input.
        var (code, output, err) = Run("generate", "--model", model, "--prompt", "25+79", "--activations", "a4g128");
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.StartsWith("error: model.layers.0.mlp.down_proj: activation scheme a4g128 can't run here", err);
        Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
