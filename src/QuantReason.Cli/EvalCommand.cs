using System.CommandLine;
using QuantReason.Evaluation;
using QuantReason.Evaluation.Runs;
using QuantReason.Models;
using Spectre.Console;
using QuantReason.Jobs;

namespace QuantReason.Cli;

/// <summary>
/// <c>quantreason eval --model DIR | --endpoint URL --dataset NAME|FILE --prompt NAME … --out RUNDIR</c>: evaluates into a
/// run directory with a progress bar showing running accuracy; rerunning the same command resumes an interrupted run.
/// </summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "checkpoint directory to run in-process" };
        var adapter = new Option<string?>("--adapter") { Description = "PEFT LoRA adapter folder applied unmerged on top of --model (adapter_config.json, adapter_model.safetensors)" };
        var endpoint = new Option<string?>("--endpoint") { Description = "OpenAI-compatible server URL (e.g. http://127.0.0.1:8000/v1)" };
        var endpointModel = new Option<string?>("--endpoint-model") { Description = "model name to request (default: the server's first)" };
        var apiKey = new Option<string?>("--api-key") { Description = "endpoint key (default: $OPENAI_API_KEY, else none)" };
        var timeout = new Option<double>("--timeout") { Description = "seconds one endpoint request may take before it is retried", DefaultValueFactory = _ => 600 };
        var retries = new Option<int>("--retries") { Description = "endpoint retries per request, with exponential backoff", DefaultValueFactory = _ => 5 };
        var dataset = new Option<string?>("--dataset") { Description = "math500, math, gsm8k, or a JSONL file with their fields" };
        var dataDir = new Option<string?>("--data-dir") { Description = "where named datasets live (default $QUANTREASON_DATA)" };
        var prompt = new Option<string?>("--prompt") { Description = "prompt name in data/prompts, or a .yaml file (default: the model's quantreason.json, else zero-shot-boxed)" };
        var limit = new Option<int?>("--limit") { Description = "evaluate the first N problems only" };
        var samples = new Option<int>("--samples") { Description = "samples per problem (pass@k, maj@k)", DefaultValueFactory = _ => 1 };
        var temperature = new Option<double>("--temperature") { Description = "sampling temperature; 0 is greedy", DefaultValueFactory = _ => 0 };
        var topP = new Option<double>("--top-p") { Description = "nucleus sampling mass", DefaultValueFactory = _ => 1 };
        var topK = new Option<int>("--top-k") { Description = "keep the k most likely tokens (0: all)", DefaultValueFactory = _ => 0 };
        var seed = new Option<int>("--seed") { Description = "seed; sample s of a problem draws with seed + s", DefaultValueFactory = _ => 0 };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "tokens to generate at most (longer outputs are marked length)", DefaultValueFactory = _ => 1024 };
        var batch = new Option<int>("--batch") { Description = "in-process: sequences per batch; endpoint: requests in flight", DefaultValueFactory = _ => 1 };
        var strict = new Option<bool>("--strict") { Description = "fail on the first malformed dataset line instead of skipping it" };
        var tags = new Option<string[]>("--tag") { Description = "KEY=VALUE label stored in the manifest (repeatable)" };
        var output = new Option<string?>("--out") { Description = "run directory (created, or resumed when it exists)" };
        var activations = new Option<string?>("--activations") { Description = "in-process: force the activation scheme (a4, a8, a4g32, none); default: the checkpoint's" };
        var kvCache = new Option<string?>("--kv-cache") { Description = "in-process: force the KV-cache scheme (kv4, kv8g32, none); default: the checkpoint's" };
        var cmd = new Command("eval", "Evaluate a model on MATH, MATH-500, GSM8K or any such JSONL into a resumable run directory.")
        {
            model, adapter, endpoint, endpointModel, apiKey, timeout, retries, dataset, dataDir, prompt, limit, samples, temperature, topP, topK,
            seed, maxNew, batch, strict, tags, output, activations, kvCache,
        };
        cmd.Subcommands.Add(ImportCommand.Create());
        // The asynchronous action gets System.CommandLine's token, cancelled on Ctrl+C and SIGTERM.
        cmd.SetAction((parse, cancel) => Task.Run(() => Cli.Guard(parse, () =>
        {
            var job = new EvalJob
            {
                ModelDir = parse.GetValue(model),
                AdapterDir = parse.GetValue(adapter),
                Endpoint = parse.GetValue(endpoint) is { } url
                    ? new EndpointOptions(Uri.TryCreate(url, UriKind.Absolute, out var u) ? u : throw new QuantReasonException("not an absolute URL", url),
                        parse.GetValue(endpointModel), parse.GetValue(apiKey))
                    {
                        Timeout = TimeSpan.FromSeconds(parse.GetValue(timeout)), MaxRetries = parse.GetValue(retries),
                    }
                    : null,
                Dataset = parse.GetValue(dataset) ?? throw new QuantReasonException("--dataset is required (math500, math, gsm8k or a JSONL file, e.g. one from `quantreason stepmath generate`)", "--dataset"),
                DataDir = parse.GetValue(dataDir),
                // a model that ships its prompt (quantreason.json) is evaluated with it unless told otherwise
                Prompt = parse.GetValue(prompt) ?? (parse.GetValue(model) is { } dir && Directory.Exists(dir) ? ModelDefaults.Load(dir).Prompt : null) ?? "zero-shot-boxed",
                Limit = parse.GetValue(limit),
                Samples = parse.GetValue(samples),
                Temperature = parse.GetValue(temperature),
                TopP = parse.GetValue(topP),
                TopK = parse.GetValue(topK),
                Seed = parse.GetValue(seed),
                MaxNewTokens = parse.GetValue(maxNew),
                Batch = parse.GetValue(batch),
                Strict = parse.GetValue(strict),
                Tags = Tags(parse.GetValue(tags) ?? []),
                Activations = parse.GetValue(activations),
                KvCache = parse.GetValue(kvCache),
                Out = parse.GetValue(output) ?? throw new QuantReasonException("--out RUNDIR is required", "eval"),
            };
            return Run(job, cancel);
        })));
        return cmd;
    }

    static Dictionary<string, string> Tags(string[] pairs)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in pairs)
        {
            var eq = p.IndexOf('=');
            if (eq <= 0) throw new QuantReasonException($"--tag must be KEY=VALUE, got '{p}'", "--tag");
            tags[p[..eq]] = p[(eq + 1)..];
        }
        return tags;
    }

    /// <summary>Runs the job (tests call this with their own cancellation) and prints the score table.</summary>
    internal static int Run(EvalJob job, CancellationToken cancel, IProgressSink? progress = null)
    {
        try
        {
            void Warn(string w) => Cli.Err.WriteLine($"warning: {w}");
            var manifest = progress is null
                ? SpectreProgress.RunAsync(p => job.RunAsync(p, Warn, cancel)).GetAwaiter().GetResult()
                : job.RunAsync(progress, Warn, cancel).GetAwaiter().GetResult();
            var predictions = RunDirectory.ReadRunPredictions(job.Out);
            var console = ScoreTable.Console();
            ScoreTable.Write(console, Scoring.Score(predictions));
            var c = manifest.Counts;
            var backend = manifest.Backend.Kind == "endpoint" ? $"; {manifest.Backend.Retries} retries, {manifest.Backend.Timeouts} timeouts" : "";
            console.MarkupLineInterpolated($"{c.Completed} predictions, {c.Correct} correct, {c.Errors} errors{backend} → {Path.GetFullPath(job.Out)}");
            return 0;
        }
        catch (OperationCanceledException)
        {
            var done = File.Exists(Path.Combine(job.Out, RunDirectory.ManifestFile)) ? RunDirectory.ReadManifest(job.Out).Counts.Completed : 0;
            Cli.Err.WriteLine($"interrupted: {done} predictions saved in {job.Out}; rerun the same command to resume");
            return 130;
        }
    }
}
