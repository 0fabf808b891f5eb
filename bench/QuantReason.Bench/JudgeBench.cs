using QuantReason.Evaluation.Runs;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using QuantReason.Judging;
using QuantReason.Data.StepMath;
using QuantReason.Jobs;

namespace QuantReason.Bench;

/// <summary>
/// `judge [--cases 1000] [--concurrency 16] [--latency-ms 50] [--json]`: judges failures (ProcessBench solutions from
/// ../shared, else the embedded StepMath runs' failures) through a local OpenAI-compatible endpoint that answers after a
/// fixed latency, with a one-judge panel at the given concurrency, writing labels.jsonl. The baseline is the same
/// endpoint driven by a bare HTTP client with the same bodies and concurrency: the endpoint's own cost. ratio =
/// baseline time / panel time (1 = the panel adds nothing); overhead per label = (panel − baseline) / cases.
/// </summary>
static class JudgeBench
{
    public static int Run(string[] args)
    {
        int n = int.Parse(BenchUtil.Arg(args, "--cases", "1000"));
        int concurrency = int.Parse(BenchUtil.Arg(args, "--concurrency", "16"));
        var latency = TimeSpan.FromMilliseconds(double.Parse(BenchUtil.Arg(args, "--latency-ms", "50"), System.Globalization.CultureInfo.InvariantCulture));
        return RunAsync(n, concurrency, latency, BenchUtil.Json(args)).GetAwaiter().GetResult();
    }

    static async Task<int> RunAsync(int n, int concurrency, TimeSpan latency, bool json)
    {
        var (cases, source) = Cases(n);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        await using var app = builder.Build();
        var reply = JsonSerializer.Serialize(new
        {
            choices = new[] { new { index = 0, message = new { role = "assistant", content = """{"first_error_step": 0, "error_type": "computational_error", "reason": "bench"}""" }, finish_reason = "stop" } },
            usage = new { prompt_tokens = 500, completion_tokens = 20 },
        });
        app.MapPost("/v1/chat/completions", async (HttpContext ctx) =>
        {
            using var body = await JsonDocument.ParseAsync(ctx.Request.Body);
            await Task.Delay(latency);
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(reply);
        });
        await app.StartAsync();
        var url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/v1");

        // baseline: the same requests from a bare client at the same concurrency
        var prompts = cases.Select(c => JudgePrompt.Render(JudgePrompt.DefaultTemplate, c, Taxonomy.Default)).ToList();
        using var http = new HttpClient { BaseAddress = new Uri(url + "/") };
        async Task Bare()
        {
            await Parallel.ForEachAsync(prompts, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (p, t) =>
            {
                var body = JsonSerializer.Serialize(new { model = "judge", messages = new[] { new { role = "user", content = p } }, max_tokens = 256, temperature = 0 });
                using var r = await http.PostAsync("chat/completions", new StringContent(body, Encoding.UTF8, "application/json"), t);
                r.EnsureSuccessStatusCode();
                await r.Content.ReadAsByteArrayAsync(t);
            });
        }
        await Bare(); // warm-up: connections, JIT
        var sw = Stopwatch.StartNew();
        await Bare();
        var bare = sw.Elapsed.TotalSeconds;

        var dir = Directory.CreateTempSubdirectory("qr-judge-bench-").FullName;
        try
        {
            var spec = new JudgeSpec("judge", JudgeKind.Endpoint, url, "judge", null, null, 0, JudgePrompt.DefaultTemplate, concurrency, TimeSpan.FromSeconds(60), 3, 2, 256);
            double panelTime = 0;
            for (int rep = 0; rep < 2; rep++) // the first pass warms up the judging path
            {
                var labels = Path.Combine(dir, $"labels{rep}.jsonl");
                using var judge = new EndpointJudge(spec, EndpointJudge.Generator(spec), new SemaphoreSlim(concurrency), Taxonomy.Default);
                using var panel = new JudgePanel("panel", [judge], null, 0.02, 1, Taxonomy.Default);
                using var writer = LabelsWriter.Open(labels);
                var review = new ReviewQueue(Path.Combine(dir, $"review{rep}.jsonl"));
                sw.Restart();
                var s = await JudgingRun.RunAsync(panel, cases, writer, review, concurrency);
                panelTime = sw.Elapsed.TotalSeconds;
                if (s.Labelled != cases.Count) throw new QuantReasonException($"bench labelled {s.Labelled} of {cases.Count}", "judge bench");
            }
            double ideal = Math.Ceiling(cases.Count / (double)concurrency) * latency.TotalSeconds;
            double overheadMs = 1000 * (panelTime - bare) / cases.Count;
            double ratio = bare / panelTime;
            if (json)
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    bench = "judge", cases = cases.Count, source, concurrency, endpoint_latency_ms = latency.TotalMilliseconds,
                    ideal_s = Math.Round(ideal, 3), bare_client_s = Math.Round(bare, 3), panel_s = Math.Round(panelTime, 3),
                    overhead_ms_per_label = Math.Round(overheadMs, 3), labels_per_second = Math.Round(cases.Count / panelTime, 1), ratio = Math.Round(ratio, 3),
                }));
            else
                Console.WriteLine($"judge: {cases.Count} {source} cases at concurrency {concurrency}, endpoint latency {latency.TotalMilliseconds} ms: " +
                                  $"bare client {bare:F2} s (ideal {ideal:F2} s), panel {panelTime:F2} s → overhead {overheadMs:F2} ms per label, ratio {ratio:F3}");
            return 0;
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    /// <summary>n failures: ProcessBench's solutions where ../shared has them, else the embedded StepMath runs' failures repeated as further samples.</summary>
    static (List<JudgeCase>, string) Cases(int n)
    {
        var shared = Environment.GetEnvironmentVariable("QUANTREASON_SHARED") is { Length: > 0 } s ? s : FindUp("shared");
        var pb = shared is null ? null : Path.Combine(shared, "data", "processbench");
        if (pb is not null && Directory.Exists(pb))
        {
            var items = Directory.GetFiles(pb, "*.json").Order(StringComparer.Ordinal).SelectMany(ProcessBenchItem.Load).Select(JudgeCase.Of).ToList();
            return (Enumerable.Range(0, n).Select(i => items[i % items.Count] with { Sample = i / items.Count }).ToList(), "processbench");
        }
        var runs = FindUp(Path.Combine("data", "runs", "stepmath-demo")) ?? throw new QuantReasonException("neither ../shared/data/processbench nor data/runs/stepmath-demo found", "judge bench");
        var failures = Directory.GetDirectories(runs).Order(StringComparer.Ordinal).SelectMany(r => JudgeCase.FromRun(r, failuresOnly: true))
            .Select((c, i) => c with { ProblemId = $"{c.ProblemId}@{i}" }).ToList();
        return (Enumerable.Range(0, n).Select(i => failures[i % failures.Count] with { Sample = i / failures.Count }).ToList(), "stepmath");
    }

    static string? FindUp(string relative)
    {
        for (var d = new DirectoryInfo(Environment.CurrentDirectory); d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, relative);
            if (Directory.Exists(candidate)) return candidate;
            if (File.Exists(Path.Combine(d.FullName, "Toolkit.sln")) && relative == "shared")
                return Directory.Exists(Path.Combine(d.FullName, "..", "shared")) ? Path.GetFullPath(Path.Combine(d.FullName, "..", "shared")) : null;
        }
        return null;
    }
}
