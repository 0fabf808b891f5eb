using QuantReason.Tokenizers;

namespace QuantReason.Runtime;

/// <summary>What one text request asks of a loaded model: prompt ids (already rendered and encoded) and decoding settings.</summary>
public sealed record TextRequest(int[] PromptIds, int MaxNewTokens, SamplingOptions Sampling, ulong Seed, IReadOnlyList<string> Stop);

/// <summary>A finished text request: the text cut before any stop string, with EOS and special tokens left out.</summary>
public sealed record TextResult(string Text, FinishReason FinishReason, int PromptTokens, int CompletionTokens);

/// <summary>
/// A model directory loaded once for serving many text requests (evaluation, the OpenAI-compatible server): tokenizer,
/// chat template, EOS ids and a <see cref="GenerationQueue"/> that batches concurrent requests onto the one model.
/// Prompts are encoded as transformers does: completion text with the tokenizer's special tokens (BOS), chat messages
/// through the model's template, which writes its own BOS.
/// </summary>
public sealed class ModelSession : IDisposable
{
    public Model Model { get; }
    public ITokenizer Tokenizer { get; }
    public ChatTemplate Template { get; }
    public GenerationQueue Queue { get; }
    /// <summary>The name clients use for it (/v1/models): the directory's name.</summary>
    public string Name { get; }
    readonly IReadOnlyList<int> _eos;

    ModelSession(Model model, ITokenizer tokenizer, int maxBatch)
    {
        Model = model;
        Tokenizer = tokenizer;
        Template = ChatTemplate.For(tokenizer);
        Name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(model.Directory)));
        _eos = tokenizer.EosIds.Concat(model.Config.EosTokenIds).Distinct().ToList();
        Queue = new GenerationQueue(new Generator(model.Transformer, t => tokenizer.Decode(t, skipSpecialTokens: true)),
            model.Config.MaxPositionEmbeddings, maxBatch);
    }

    /// <summary>A checkpoint, optionally with a PEFT adapter applied unmerged (<see cref="Model.Load"/>).</summary>
    public static ModelSession Load(string dir, int maxBatch = 1, string? adapterDir = null)
    {
        var tokenizer = TokenizerLoader.FromDirectory(Model.TokenizerDirectory(dir, adapterDir));
        var model = Model.Load(dir, adapterDir);
        return Create(model, tokenizer, maxBatch);
    }

    public static ModelSession Create(Model model, ITokenizer tokenizer, int maxBatch = 1)
    {
        if (tokenizer.VocabSize > model.Config.VocabSize)
            throw new QuantReasonException($"tokenizer has {tokenizer.VocabSize} tokens but the model's vocabulary is {model.Config.VocabSize}", model.Directory);
        return new ModelSession(model, tokenizer, maxBatch);
    }

    /// <summary>Completion text, with BOS where the tokenizer adds it.</summary>
    public int[] EncodeCompletion(string prompt) => Tokenizer.Encode(prompt, addSpecialTokens: true);

    /// <summary>The chat template's rendering of a conversation, ready for the assistant's turn.</summary>
    public string RenderChat(IReadOnlyList<ChatMessage> messages) => Template.Render(messages, addGenerationPrompt: true);

    /// <summary>A rendered chat prompt; the template already carries BOS where the model's template writes it.</summary>
    public int[] EncodeChat(string rendered) => Tokenizer.Encode(rendered, addSpecialTokens: false);

    /// <summary>
    /// Generates through the queue. <paramref name="onText"/>, when given, receives the text as it is produced, never
    /// past a stop string; the pieces concatenate to <see cref="TextResult.Text"/>.
    /// </summary>
    public async Task<TextResult> CompleteAsync(TextRequest request, Action<string>? onText = null, CancellationToken cancel = default)
    {
        var options = new GenerationOptions
        {
            MaxNewTokens = request.MaxNewTokens, Sampling = request.Sampling, Seed = request.Seed,
            StopTokenIds = _eos, StopStrings = request.Stop, VocabLimit = Tokenizer.VocabSize,
        };
        Action<int>? onToken = null;
        StreamingDecoder? decoder = null;
        StopStringFilter? filter = null;
        if (onText is not null)
        {
            decoder = new StreamingDecoder(Tokenizer);
            filter = new StopStringFilter(request.Stop);
            onToken = token =>
            {
                if (_eos.Contains(token)) return;
                var delta = filter.Push(decoder.Push(token));
                if (delta.Length > 0) onText(delta);
            };
        }
        var result = await Queue.EnqueueAsync(request.PromptIds, options, onToken, cancel);
        var text = result.Text ?? "";
        if (onText is not null)
        {
            var rest = filter!.Flush(decoder!.Flush());
            if (rest.Length > 0) onText(rest);
        }
        return new TextResult(text, result.FinishReason, result.PromptTokens, result.Tokens.Length);
    }

    public void Dispose() => Queue.Dispose();
}
