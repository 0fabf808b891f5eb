namespace QuantReason.Evaluation.Runs;

/// <summary>What a backend is asked for: one prompt (already rendered, chat template included) and sampling settings.</summary>
public sealed record GenerationRequest(string Prompt, int MaxNewTokens, double Temperature, double TopP, int TopK, int Seed);

/// <summary>A backend's answer; <see cref="FinishReason.Length"/> when max new tokens cut the output.</summary>
public sealed record GenerationResult(string Output, FinishReason FinishReason, int TokensIn, int TokensOut);

/// <summary>
/// The one seam between evaluation and whatever produces text: the in-process runtime or an OpenAI-compatible endpoint.
/// Implementations retry transient failures themselves; an exception here is recorded as finish_reason "error".
/// </summary>
public interface ITextGenerator
{
    Task<GenerationResult> GenerateAsync(GenerationRequest request, CancellationToken cancel);
}
