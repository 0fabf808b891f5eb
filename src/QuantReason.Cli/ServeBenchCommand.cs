using System.CommandLine;
using System.Text.Json;
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
        var cmd = new Command("serve-bench", "Load-test `serve` on loopback: requests/s, p50/p90/p99 latency, tok/s vs in-process batch 1.")
            { model, requests, concurrency, maxTokens, batch, json };
        cmd.SetAction(parse => Cli.Guard(parse, () =>
        {
            var options = new LoadBenchOptions
            {
                Requests = parse.GetValue(requests), Concurrency = parse.GetValue(concurrency), MaxTokens = parse.GetValue(maxTokens),
            };
            options.Validate();
            var report = Run(parse.GetValue(model)!, parse.GetValue(batch), options);
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

    internal static LoadBenchReport Run(string modelDir, int batch, LoadBenchOptions options)
    {
        using var session = ModelSession.Load(modelDir, batch);
        var server = OpenAiServer.StartAsync(session, "127.0.0.1", 0).GetAwaiter().GetResult();
        try { return LoadBench.RunAsync(server, options, NullProgress.Instance).GetAwaiter().GetResult(); }
        finally { server.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
    }
}
