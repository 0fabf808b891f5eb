using QuantReason.Runtime;
using QuantReason.Tokenizers;

namespace QuantReason.Evaluation.Runs;

/// <summary>
/// The in-process runtime as an evaluation backend: the rendered prompt (BOS and chat template included, so encoded
/// without adding special tokens) runs through <see cref="Generator"/>, stopping at the tokenizer's or the model's EOS;
/// the output is decoded without special tokens.
/// </summary>
public sealed class RuntimeTextGenerator(Model model, ITokenizer tokenizer) : ITextGenerator
{
    readonly Generator _generator = new(model.Transformer, ids => tokenizer.Decode(ids, skipSpecialTokens: true));
    readonly IReadOnlyList<int> _eos = tokenizer.EosIds.Concat(model.Config.EosTokenIds).Distinct().ToList();

    public Task<GenerationResult> GenerateAsync(GenerationRequest request, CancellationToken cancel)
    {
        var ids = tokenizer.Encode(request.Prompt, addSpecialTokens: false);
        var result = _generator.Generate([ids], new GenerationOptions
        {
            MaxNewTokens = request.MaxNewTokens,
            Sampling = new SamplingOptions((float)request.Temperature, request.TopK, (float)request.TopP),
            Seed = (ulong)request.Seed,
            StopTokenIds = _eos,
            VocabLimit = tokenizer.VocabSize,
        }, cancel: cancel)[0];
        var reason = result.FinishReason == Runtime.FinishReason.Length ? FinishReason.Length : FinishReason.Stop;
        return Task.FromResult(new GenerationResult(result.Text ?? "", reason, ids.Length, result.Tokens.Length));
    }
}
