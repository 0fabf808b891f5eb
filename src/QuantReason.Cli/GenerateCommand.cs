using System.CommandLine;
using System.Diagnostics;
using QuantReason.Runtime;
using QuantReason.Tokenizers;

namespace QuantReason.Cli;

/// <summary>`quantreason generate --model DIR --prompt TEXT [--chat] …`: streams a continuation to stdout.</summary>
public static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Checkpoint directory", Required = true };
        var adapter = new Option<string?>("--adapter") { Description = "PEFT LoRA adapter folder applied unmerged on top of --model (adapter_config.json, adapter_model.safetensors)" };
        var prompt = new Option<string>("--prompt") { Description = "Prompt text", Required = true };
        var chat = new Option<bool>("--chat") { Description = "Wrap the prompt as a user turn in the model's chat template" };
        var system = new Option<string?>("--system") { Description = "System message (with --chat)" };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Tokens to generate at most", DefaultValueFactory = _ => 256 };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature; 0 is greedy", DefaultValueFactory = _ => 0f };
        var topK = new Option<int>("--top-k") { Description = "Keep the k most likely tokens (0: all)", DefaultValueFactory = _ => 0 };
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling mass", DefaultValueFactory = _ => 1f };
        var seed = new Option<ulong>("--seed") { Description = "Seed for sampling", DefaultValueFactory = _ => 0UL };
        var stop = new Option<string[]>("--stop") { Description = "Stop string (repeatable)", AllowMultipleArgumentsPerToken = false };
        var stats = new Option<bool>("--stats") { Description = "Print token counts and speed to stderr" };
        var activations = new Option<string?>("--activations") { Description = "Force the activation scheme: a4, a8, a4g32, … or none (default: the checkpoint's)" };
        var kvCache = new Option<string?>("--kv-cache") { Description = "Force the KV-cache scheme: kv4, kv8, kv4g32, … or none (default: the checkpoint's)" };
        var cmd = new Command("generate", "Generate text from a prompt, streaming it as it is produced")
        {
            model, adapter, prompt, chat, system, maxNew, temperature, topK, topP, seed, stop, stats, activations, kvCache,
        };
        cmd.SetAction(p => Cli.Guard(p, () => Run(p.GetValue(model)!, p.GetValue(adapter), p.GetValue(prompt)!, p.GetValue(chat), p.GetValue(system),
            new GenerationOptions
            {
                MaxNewTokens = p.GetValue(maxNew),
                Sampling = new SamplingOptions(p.GetValue(temperature), p.GetValue(topK), p.GetValue(topP)),
                Seed = p.GetValue(seed),
                StopStrings = p.GetValue(stop) ?? [],
            }, p.GetValue(stats), p.GetValue(activations), p.GetValue(kvCache))));
        return cmd;
    }

    static int Run(string dir, string? adapter, string prompt, bool chat, string? system, GenerationOptions options, bool stats, string? activations, string? kvCache)
    {
        if (options.StopStrings.Any(s => s.Length == 0))
            throw new QuantReasonException("a stop string must not be empty (it would match before the first token)", "--stop");
        var tokenizer = TokenizerLoader.FromDirectory(Model.TokenizerDirectory(dir, adapter));
        var model = Model.Load(dir, adapter);
        model.Transformer.ForceSchemes(activations, kvCache);
        if (tokenizer.VocabSize > model.Config.VocabSize)
            throw new QuantReasonException($"tokenizer has {tokenizer.VocabSize} tokens but the model's vocabulary is {model.Config.VocabSize}", dir);
        int[] ids;
        if (chat)
        {
            var messages = new List<ChatMessage>();
            if (system is not null) messages.Add(ChatMessage.System(system));
            messages.Add(ChatMessage.User(prompt));
            // The rendered template already carries BOS where the model's template writes it.
            ids = tokenizer.Encode(ChatTemplate.For(tokenizer).Render(messages, addGenerationPrompt: true), addSpecialTokens: false);
        }
        else ids = tokenizer.Encode(prompt, addSpecialTokens: true);

        var eos = tokenizer.EosIds.Concat(model.Config.EosTokenIds).Distinct().ToList();
        options = options with { StopTokenIds = eos, VocabLimit = tokenizer.VocabSize };
        var stream = new StreamingDecoder(tokenizer);
        var output = Cli.Out;
        var filter = new StopStringFilter(options.StopStrings); // holds back text that could still become a stop string
        void Emit(string delta)
        {
            if (delta.Length == 0) return;
            output.Write(delta);
            output.Flush();
        }
        var sw = Stopwatch.StartNew();
        var generator = new Generator(model.Transformer, t => tokenizer.Decode(t, skipSpecialTokens: true));
        var result = generator.Generate([ids], options, (_, token) =>
        {
            if (eos.Contains(token)) return;
            Emit(filter.Push(stream.Push(token)));
        })[0];
        Emit(filter.Flush(stream.Flush()));
        output.WriteLine();
        if (stats)
        {
            double s = sw.Elapsed.TotalSeconds;
            Cli.Err.WriteLine($"[{ids.Length} prompt tokens, {result.Tokens.Length} generated in {s:F2} s, " +
                              $"{result.Tokens.Length / s:F1} tok/s, finish: {result.FinishReason.ToString().ToLowerInvariant()}]");
        }
        return 0;
    }
}
