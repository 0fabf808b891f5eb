using QuantReason.Runtime;
using Tok = QuantReason.Tokenizers;

namespace QuantReason.Evaluation.Runs;

/// <summary>
/// The in-process backend: requests go to a <see cref="ModelSession"/>, whose queue batches concurrent ones (the runner's
/// concurrency is the batch). Chat prompts are rendered with the tokenizer's chat template and recorded as rendered.
/// </summary>
public sealed class RuntimeTextGenerator(ModelSession session) : ITextGenerator
{
    public ModelSession Session { get; } = session;

    public async Task<GenerationResult> GenerateAsync(GenerationRequest request, CancellationToken cancel)
    {
        string? rendered = null;
        int[] ids;
        if (request.Messages is { } messages)
        {
            rendered = Session.RenderChat(messages.Select(m => new Tok.ChatMessage(m.Role, m.Content)).ToList());
            ids = Session.EncodeChat(rendered);
        }
        else ids = Session.EncodeCompletion(request.Prompt);
        var sampling = new SamplingOptions((float)request.Temperature, request.TopK, (float)request.TopP);
        var result = await Session.CompleteAsync(
            new TextRequest(ids, request.MaxNewTokens, sampling, unchecked((ulong)request.Seed), request.Stop), cancel: cancel);
        return new GenerationResult(result.Text, Map(result.FinishReason), result.PromptTokens, result.CompletionTokens)
        {
            RenderedPrompt = rendered,
        };
    }

    static FinishReason Map(QuantReason.Runtime.FinishReason reason) =>
        reason == QuantReason.Runtime.FinishReason.Stop ? FinishReason.Stop : FinishReason.Length;
}
