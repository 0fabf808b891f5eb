using System.CommandLine;
using System.Text.Json;
using QuantReason.Models;
using QuantReason.Quantization.Model;
using QuantReason.Runtime;
using QuantReason.Serving;
using Spectre.Console;

namespace QuantReason.Cli;

/// <summary>
/// <c>quantreason serve-bench --model DIR [--requests 200] [--concurrency 16] [--max-tokens 16] [--json]</c>: starts the
/// server on a free loopback port, runs a bounded load test and reports requests/s, latency percentiles and the
/// server's tokens/s as a ratio to in-process batch-1 decoding measured in the same run.
/// </summary>
public static class ServeBenchCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "checkpoint directory", Required = true };
        var requests = new Option<int>("--requests") { Description = "completions to send", DefaultValueFactory = _ => 200 };
        var concurrency = new Option<int>("--concurrency") { Description = "requests in flight", DefaultValueFactory = _ => 16 };
        var maxTokens = new Option<int>("--max-tokens") { Description = "max_tokens of each request", DefaultValueFactory = _ => 16 };
        var batch = new Option<int>("--batch") { Description = "server batch size", DefaultValueFactory = _ => 16 };
        var json = new Option<bool>("--json") { Description = "print the report as JSON" };
        var prompts = new Option<string?>("--prompts")
        {
            Description = "where the requests' prompts come from: stepmath, gsm8k, math or a text/JSONL file (default: the model's quantreason.json calibration source, else arithmetic questions)",
        };
        var cmd = new Command("serve-bench", "Load-test `serve` on loopback: requests/s, p50/p90/p99 latency, tok/s vs in-process batch 1.")
            { model, requests, concurrency, maxTokens, batch, json, prompts };
        cmd.SetAction(parse => Cli.Guard(parse, () =>
        {
            var modelDir = parse.GetValue(model)!;
            if (!Directory.Exists(modelDir)) throw new QuantReasonException("model directory not found", modelDir);
            var source = parse.GetValue(prompts) ?? ModelDefaults.Load(modelDir).CalibrationSource;
            var options = new LoadBenchOptions
            {
                Requests = parse.GetValue(requests), Concurrency = parse.GetValue(concurrency), MaxTokens = parse.GetValue(maxTokens),
                // the problems of the model's own data, which its tokenizer can encode (a character vocabulary cannot encode English)
                Prompts = source is null ? null
                    : Calibration.Documents(new CalibrationOptions(source)).Docs.Take(PromptCount).Select(d => d.Prompt).ToList(),
            };
            options.Validate();
            var report = Run(modelDir, parse.GetValue(batch), options);
            if (parse.GetValue(json)) Cli.Out.WriteLine(JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
            else
            {
                var console = ScoreTable.Console();
                var table = new Table().AddColumns("measure", "value");
                table.AddRow("requests", $"{report.Requests} ({report.Concurrency} concurrent), {report.Errors} errors");
                table.AddRow("requests/s", $"{report.RequestsPerSecond:F1}");
                table.AddRow("latency p50 / p90 / p99", $"{report.P50Ms:F0} / {report.P90Ms:F0} / {report.P99Ms:F0} ms");
                table.AddRow("completion tok/s", $"{report.TokensPerSecond:F1} (mean batch {report.MeanBatch:F1})");
                table.AddRow("in-process batch-1 tok/s", $"{report.Batch1TokensPerSecond:F1}");
                table.AddRow("ratio", $"{report.Ratio:F2}");
                console.Write(table);
            }
            return report.Errors == 0 ? 0 : 1;
        }));
        return cmd;
    }

    /// <summary>Distinct prompts drawn from a source; requests cycle through them.</summary>
    const int PromptCount = 256;

    internal static LoadBenchReport Run(string modelDir, int batch, LoadBenchOptions options)
    {
        using var session = ModelSession.Load(modelDir, batch);
        try { session.EncodeCompletion(options.Prompt(0)); }
        catch (QuantReasonException e)
        {
            throw new QuantReasonException(
                $"the model cannot encode these prompts ({e.Message}); give --prompts stepmath, gsm8k, math or a text/JSONL file", "--prompts", e);
        }
        var server = OpenAiServer.StartAsync(session, "127.0.0.1", 0).GetAwaiter().GetResult();
        try { return LoadBench.RunAsync(server, options, NullProgress.Instance).GetAwaiter().GetResult(); }
        finally { server.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
    }
}
