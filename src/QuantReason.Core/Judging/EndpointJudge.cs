using QuantReason.Data.Prompts;
using QuantReason.Evaluation.Runs;
using QuantReason.Data.StepMath;

namespace QuantReason.Judging;

/// <summary>
/// A judge behind an OpenAI-compatible endpoint. Transport failures (timeouts, 5xx, dropped connections) are retried
/// with backoff by <see cref="EndpointTextGenerator"/>; a reply that breaks the schema is asked again up to
/// <see cref="JudgeSpec.MalformedRetries"/> times (with another seed), then the judge abstains on that case. Requests
/// pass the endpoint's gate, shared by every judge on the same URL, so concurrency is per endpoint.
/// </summary>
public sealed class EndpointJudge : IJudge, IDisposable
{
    readonly JudgeSpec _spec;
    readonly ITextGenerator _generator;
    readonly SemaphoreSlim _gate;
    readonly Taxonomy _taxonomy;

    public string Name => _spec.Name;
    public JudgeUsage Usage { get; } = new();

    public EndpointJudge(JudgeSpec spec, ITextGenerator generator, SemaphoreSlim gate, Taxonomy taxonomy)
    {
        _spec = spec;
        _generator = generator;
        _gate = gate;
        _taxonomy = taxonomy;
    }

    /// <summary>The generator for a spec: its URL, model and key, its timeout and transport retries.</summary>
    public static EndpointTextGenerator Generator(JudgeSpec spec) => new(new EndpointOptions(spec.Url!, spec.Model, spec.ApiKey)
    {
        Concurrency = spec.Concurrency,
        Timeout = spec.Timeout,
        MaxRetries = spec.Retries,
        InitialBackoff = TimeSpan.FromMilliseconds(200),
        MaxBackoff = TimeSpan.FromSeconds(20),
    });

    public async Task<JudgeOutcome> JudgeAsync(JudgeCase c, CancellationToken cancel)
    {
        var prompt = JudgePrompt.Render(_spec.PromptTemplate, c, _taxonomy);
        var where = $"judge '{Name}' on {c.ProblemId}#{c.Sample}";
        string failure = "no reply";
        int tokensIn = 0, tokensOut = 0;
        for (int attempt = 0; attempt <= _spec.MalformedRetries; attempt++)
        {
            var request = new GenerationRequest(prompt, _spec.MaxTokens, _spec.Temperature, 1, 0, attempt) { Messages = [new ChatMessage("user", prompt)] };
            GenerationResult result;
            await _gate.WaitAsync(cancel);
            try { result = await _generator.GenerateAsync(request, cancel); }
            catch (QuantReasonException e)
            {
                // the transport already retried with backoff: the endpoint is down or refuses; abstain on this case
                failure = e.Message;
                break;
            }
            finally { _gate.Release(); }
            Usage.Call(result.TokensIn, result.TokensOut);
            tokensIn += result.TokensIn;
            tokensOut += result.TokensOut;
            try { return new JudgeOutcome(Name, JudgeReply.Parse(result.Output, c.Steps.Count, _taxonomy, where), null, tokensIn, tokensOut); }
            catch (QuantReasonException e)
            {
                Usage.MalformedReply();
                failure = e.Message;
            }
        }
        Usage.Abstain();
        return new JudgeOutcome(Name, null, failure, tokensIn, tokensOut);
    }

    public void Dispose() => (_generator as IDisposable)?.Dispose();
}
