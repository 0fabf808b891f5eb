using QuantReason.Data.Prompts;

namespace QuantReason.Evaluation.Runs;

/// <summary>
/// What a backend is asked for: one prompt and sampling settings. <see cref="Prompt"/> is the text for a completion
/// prompt; a chat prompt also carries <see cref="Messages"/>, which the backend renders with the model's own chat
/// template (the in-process runtime with the tokenizer's template, an endpoint through /v1/chat/completions).
/// </summary>
public sealed record GenerationRequest(string Prompt, int MaxNewTokens, double Temperature, double TopP, int TopK, int Seed)
{
    public IReadOnlyList<ChatMessage>? Messages { get; init; }

    /// <summary>Strings that end the output (the prompt file's <c>stop</c>); the output is cut before the first one.</summary>
    public IReadOnlyList<string> Stop { get; init; } = [];
}

/// <summary>A backend's answer; <see cref="FinishReason.Length"/> when max new tokens cut the output.</summary>
public sealed record GenerationResult(string Output, FinishReason FinishReason, int TokensIn, int TokensOut)
{
    /// <summary>The exact text the backend tokenized when it rendered the prompt itself (a chat template); null when that
    /// was <see cref="GenerationRequest.Prompt"/>.</summary>
    public string? RenderedPrompt { get; init; }
}

/// <summary>
/// The one seam between evaluation and whatever produces text: the in-process runtime or an OpenAI-compatible endpoint.
/// Implementations retry transient failures themselves; an exception here marks the request failed: no prediction is
/// written for it, the run ends incomplete, and a rerun retries it.
/// </summary>
public interface ITextGenerator
{
    Task<GenerationResult> GenerateAsync(GenerationRequest request, CancellationToken cancel);
}

/// <summary>A backend that retries: its totals so far go into the manifest's <c>backend.retries</c> and <c>timeouts</c>.</summary>
public interface IRetryCounts
{
    int Retries { get; }
    int Timeouts { get; }
}
