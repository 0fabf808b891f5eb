using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using QuantReason.Runtime;

namespace QuantReason.Serving;

/// <summary>Settings of a bounded load test: a fixed number of greedy completions, a fixed number in flight.</summary>
public sealed record LoadBenchOptions
{
    public int Requests { get; init; } = 200;
    public int Concurrency { get; init; } = 16;
    public int MaxTokens { get; init; } = 16;
    /// <summary>Sequential batch-1 requests run in-process first, for the reference throughput.</summary>
    public int ReferenceRequests { get; init; } = 8;
    /// <summary>Prompts the requests cycle through (a model's own problems); null: arithmetic questions in plain English.</summary>
    public IReadOnlyList<string>? Prompts { get; init; }

    /// <summary>The prompt of request <paramref name="i"/> (−1 is the warm-up).</summary>
    public string Prompt(int i) => Prompts is { Count: > 0 } p
        ? p[((i % p.Count) + p.Count) % p.Count]
        : $"Question {i}: what is {i % 97} + {i % 89}? Answer:";

    public void Validate()
    {
        if (Requests < 1) throw new QuantReasonException($"--requests must be at least 1, got {Requests}", "--requests");
        if (Concurrency < 1) throw new QuantReasonException($"--concurrency must be at least 1, got {Concurrency}", "--concurrency");
        if (MaxTokens < 1) throw new QuantReasonException($"--max-tokens must be at least 1, got {MaxTokens}", "--max-tokens");
        if (ReferenceRequests < 1) throw new QuantReasonException($"--reference-requests must be at least 1, got {ReferenceRequests}", "--reference-requests");
        if (Prompts is { Count: 0 }) throw new QuantReasonException("no prompts to send", "--prompts");
    }
}

/// <summary>
/// What a load test measured. <see cref="Ratio"/> is the server's completion tokens per second over the in-process
/// batch-1 tokens per second measured in the same run, so it says what batching and the HTTP layer add or cost on this
/// machine rather than an absolute speed.
/// </summary>
public sealed record LoadBenchReport(
    [property: JsonPropertyName("requests")] int Requests,
    [property: JsonPropertyName("concurrency")] int Concurrency,
    [property: JsonPropertyName("errors")] int Errors,
    [property: JsonPropertyName("seconds")] double Seconds,
    [property: JsonPropertyName("requests_per_second")] double RequestsPerSecond,
    [property: JsonPropertyName("latency_p50_ms")] double P50Ms,
    [property: JsonPropertyName("latency_p90_ms")] double P90Ms,
    [property: JsonPropertyName("latency_p99_ms")] double P99Ms,
    [property: JsonPropertyName("completion_tokens")] long CompletionTokens,
    [property: JsonPropertyName("tokens_per_second")] double TokensPerSecond,
    [property: JsonPropertyName("batch1_tokens_per_second")] double Batch1TokensPerSecond,
    [property: JsonPropertyName("ratio")] double Ratio,
    [property: JsonPropertyName("mean_batch")] double MeanBatch,
    [property: JsonPropertyName("first_error")] string? FirstError);

/// <summary>Load test of an <see cref="OpenAiServer"/> over loopback HTTP, with the in-process batch-1 reference.</summary>
public static class LoadBench
{
    public static async Task<LoadBenchReport> RunAsync(OpenAiServer server, LoadBenchOptions options, IProgressSink progress,
        CancellationToken cancel = default)
    {
        options.Validate();
        var session = server.Session;

        // Reference: the same kind of request, one at a time, straight into the session (batch 1, no HTTP).
        TextRequest Reference(int i) => new(session.EncodeCompletion(options.Prompt(i)), options.MaxTokens, new SamplingOptions(), 0, []);
        await session.CompleteAsync(Reference(-1), cancel: cancel); // warm-up: JIT and first-touch of the weights stay out of the figure
        long refTokens = 0;
        var refClock = Stopwatch.StartNew();
        for (int i = 0; i < options.ReferenceRequests; i++)
        {
            var r = await session.CompleteAsync(Reference(i), cancel: cancel);
            refTokens += r.CompletionTokens;
        }
        var batch1 = refTokens / refClock.Elapsed.TotalSeconds;

        using var http = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromMinutes(10) };
        var latencies = new double[options.Requests];
        long tokens = 0;
        int errors = 0, next = -1;
        string? firstError = null;
        long batchesBefore = session.Queue.Batches, sequencesBefore = session.Queue.Sequences;
        progress.Start("load test", options.Requests);
        var clock = Stopwatch.StartNew();
        async Task Worker()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < options.Requests)
            {
                var start = clock.Elapsed;
                try
                {
                    using var response = await http.PostAsJsonAsync("/v1/completions", new
                    {
                        model = session.Name, prompt = options.Prompt(i), max_tokens = options.MaxTokens, temperature = 0, seed = i,
                    }, cancel);
                    var body = await response.Content.ReadAsStringAsync(cancel);
                    if (!response.IsSuccessStatusCode) throw new HttpRequestException($"HTTP {(int)response.StatusCode}: {body}");
                    using var doc = JsonDocument.Parse(body);
                    Interlocked.Add(ref tokens, doc.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt64());
                }
                catch (Exception e) when (e is HttpRequestException or JsonException or KeyNotFoundException or TaskCanceledException && !cancel.IsCancellationRequested)
                {
                    Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref firstError, e.Message, null);
                }
                latencies[i] = (clock.Elapsed - start).TotalMilliseconds;
                progress.Advance(1);
            }
        }
        await Task.WhenAll(Enumerable.Range(0, options.Concurrency).Select(_ => Task.Run(Worker, cancel)));
        var seconds = clock.Elapsed.TotalSeconds;
        progress.Finish();
        Array.Sort(latencies);
        var batches = session.Queue.Batches - batchesBefore;
        var tps = tokens / seconds;
        return new LoadBenchReport(options.Requests, options.Concurrency, errors, seconds, options.Requests / seconds,
            Percentile(latencies, 0.50), Percentile(latencies, 0.90), Percentile(latencies, 0.99), tokens, tps, batch1,
            batch1 > 0 ? tps / batch1 : double.NaN,
            batches == 0 ? 0 : (double)(session.Queue.Sequences - sequencesBefore) / batches, firstError);
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double q)
    {
        if (sorted.Count == 0) return double.NaN;
        var rank = (int)Math.Ceiling(q * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }
}
