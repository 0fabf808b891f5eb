using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using QuantReason.Cli;
using QuantReason.Evaluation.Runs;
using QuantReason.Runtime;
using QuantReason.Serving;
using QuantReason.Tests.Cli;
using QuantReason.Jobs;

namespace QuantReason.Tests.Serving;

/// <summary>The server on 127.0.0.1 and a random free port, over the fixture model with a test-written tokenizer.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public CliFixture Model { get; } = new();
    public ModelSession Session { get; private set; } = null!;
    public OpenAiServer Server { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (Shared.Root is null) return;
        Session = ModelSession.Load(Model.Dir, maxBatch: 16);
        Server = await OpenAiServer.StartAsync(Session, "127.0.0.1", 0);
        Http = new HttpClient { BaseAddress = Server.Address };
    }

    public async Task DisposeAsync()
    {
        if (Shared.Root is not null)
        {
            Http.Dispose();
            await Server.DisposeAsync();
            Session.Dispose();
        }
        Model.Dispose();
    }
}

public sealed class OpenAiServerTests(ServerFixture fx, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<ServerFixture>
{
    string Name => fx.Session.Name;

    async Task<(HttpStatusCode Status, JsonElement Body)> Post(string path, string json)
    {
        using var response = await fx.Http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    [SharedFact]
    public async Task Eval_in_process_and_through_the_server_give_identical_greedy_predictions()
    {
        using var files = new EvalFiles();
        foreach (var prompt in new[] { files.CompletionPrompt, files.ChatPrompt })
        {
            var local = files.Path2("local-" + Path.GetFileNameWithoutExtension(prompt));
            var remote = files.Path2("remote-" + Path.GetFileNameWithoutExtension(prompt));
            var job = new EvalJob { ModelDir = fx.Model.Dir, Dataset = files.Dataset, Prompt = prompt, MaxNewTokens = 12, Out = local };
            Assert.Equal(0, EvalCommand.Run(job, CancellationToken.None, NullProgress.Instance));
            var endpoint = job with
            {
                ModelDir = null, Batch = 4, Out = remote,
                Endpoint = new EndpointOptions(new Uri(fx.Server.Address, "v1"), Name) { Timeout = TimeSpan.FromMinutes(2) },
            };
            Assert.Equal(0, EvalCommand.Run(endpoint, CancellationToken.None, NullProgress.Instance));
            // A chat prompt is rendered by the server out of the client's sight, so the client records the messages instead.
            var drop = prompt == files.ChatPrompt ? new[] { "prompt" } : [];
            Assert.Equal(EvalFiles.Lines(local, drop), EvalFiles.Lines(remote, drop));
            var manifest = RunDirectory.ReadManifest(remote);
            Assert.Equal(("endpoint", 0, 0), (manifest.Backend.Kind, manifest.Backend.Retries, manifest.Backend.Timeouts));
        }
    }

    [SharedFact]
    public async Task Models_lists_the_served_model()
    {
        var body = await fx.Http.GetFromJsonAsync<JsonElement>("/v1/models");
        Assert.Equal("list", body.GetProperty("object").GetString());
        Assert.Equal(Name, body.GetProperty("data")[0].GetProperty("id").GetString());
    }

    [SharedFact]
    public async Task A_streamed_completion_concatenates_to_the_unstreamed_one()
    {
        var request = $$"""{"model": "{{Name}}", "prompt": "Q: what is 2 + 3?\nA:", "max_tokens": 20, "temperature": 0}""";
        var (status, whole) = await Post("/v1/completions", request);
        Assert.Equal(HttpStatusCode.OK, status);
        var text = whole.GetProperty("choices")[0].GetProperty("text").GetString();
        var usage = whole.GetProperty("usage");
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32() + usage.GetProperty("completion_tokens").GetInt32(),
            usage.GetProperty("total_tokens").GetInt32());

        foreach (var (path, body) in new[]
        {
            ("/v1/completions", request.Replace("\"temperature\": 0", "\"temperature\": 0, \"stream\": true")),
        })
        {
            using var response = await fx.Http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            var events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal("data: [DONE]", events[^1]);
            var chunks = events[..^1].Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement.GetProperty("choices")[0]).ToList();
            Assert.Equal(text, string.Concat(chunks.Select(c => c.GetProperty("text").GetString())));
            Assert.Equal(whole.GetProperty("choices")[0].GetProperty("finish_reason").GetString(), chunks[^1].GetProperty("finish_reason").GetString());
        }
    }

    [SharedFact]
    public async Task A_streamed_chat_completion_starts_with_the_role_and_ends_with_usage_when_asked()
    {
        var plain = $$"""{"model": "{{Name}}", "messages": [{"role": "user", "content": "Say hi"}], "max_tokens": 10, "temperature": 0}""";
        var (_, whole) = await Post("/v1/chat/completions", plain);
        var content = whole.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();
        var streamed = plain.Replace("\"temperature\": 0", "\"temperature\": 0, \"stream\": true, \"stream_options\": {\"include_usage\": true}");
        using var response = await fx.Http.PostAsync("/v1/chat/completions", new StringContent(streamed, Encoding.UTF8, "application/json"));
        var events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries)[..^1]
            .Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement).ToList();
        Assert.Equal("assistant", events[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        var text = string.Concat(events.Where(e => e.GetProperty("choices").GetArrayLength() > 0)
            .Select(e => e.GetProperty("choices")[0].GetProperty("delta"))
            .Select(d => d.TryGetProperty("content", out var c) ? c.GetString() : ""));
        Assert.Equal(content, text);
        Assert.Equal(whole.GetProperty("usage").GetProperty("completion_tokens").GetInt32(),
            events[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [SharedFact]
    public async Task Seeded_sampling_is_reproducible_and_n_choices_differ_by_seed()
    {
        var request = $$"""{"model": "{{Name}}", "prompt": "Once", "max_tokens": 12, "temperature": 1.0, "seed": 5, "n": 3}""";
        var (_, a) = await Post("/v1/completions", request);
        var (_, b) = await Post("/v1/completions", request);
        string[] Texts(JsonElement r) => r.GetProperty("choices").EnumerateArray().Select(c => c.GetProperty("text").GetString()!).ToArray();
        Assert.Equal(Texts(a), Texts(b));
        Assert.Equal(3, Texts(a).Length);
        // Choice i samples with seed 5 + i, so it equals a single request with that seed.
        var (_, single) = await Post("/v1/completions", request.Replace("\"seed\": 5, \"n\": 3", "\"seed\": 6"));
        Assert.Equal(Texts(a)[1], Texts(single)[0]);
    }

    [SharedTheory]
    [InlineData("/v1/completions", "{not json", 400, "malformed JSON")]
    [InlineData("/v1/completions", "[1, 2]", 400, "JSON object")]
    [InlineData("/v1/completions", """{"prompt": "x"}""", 400, "'model'")]
    [InlineData("/v1/completions", """{"model": "MODEL", "prompt": "x", "temperature": 3}""", 400, "temperature")]
    [InlineData("/v1/completions", """{"model": "MODEL", "prompt": "x", "max_tokens": 0}""", 400, "max_tokens")]
    [InlineData("/v1/completions", """{"model": "MODEL", "prompt": "x", "top_p": 0}""", 400, "top_p")]
    [InlineData("/v1/completions", """{"model": "MODEL", "prompt": "x", "n": 99}""", 400, "n must be")]
    [InlineData("/v1/completions", """{"model": "MODEL", "prompt": 5}""", 400, "prompt must be")]
    [InlineData("/v1/completions", """{"model": "MODEL", "prompt": "x", "stop": 7}""", 400, "stop must be")]
    [InlineData("/v1/completions", """{"model": "MODEL", "prompt": "x", "seed": "abc"}""", 400, "seed")]
    [InlineData("/v1/completions", """{"model": "gpt-4o", "prompt": "x"}""", 404, "does not exist")]
    [InlineData("/v1/chat/completions", """{"model": "MODEL"}""", 400, "'messages'")]
    [InlineData("/v1/chat/completions", """{"model": "MODEL", "messages": []}""", 400, "must not be empty")]
    [InlineData("/v1/chat/completions", """{"model": "MODEL", "messages": [{"role": "tool", "content": "x"}]}""", 400, "not supported")]
    [InlineData("/v1/chat/completions", """{"model": "MODEL", "messages": [{"role": "user", "content": [{"type": "image_url"}]}]}""", 400, "text parts")]
    [InlineData("/v1/nothing", "{}", 404, "no route")]
    public async Task Bad_requests_get_a_json_error_and_the_server_stays_up(string path, string body, int status, string message)
    {
        var (code, error) = await Post(path, body.Replace("MODEL", Name));
        Assert.Equal(status, (int)code);
        Assert.Contains(message, error.GetProperty("error").GetProperty("message").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("error").GetProperty("type").GetString()));
        var (ok, _) = await Post("/v1/completions", $$"""{"model": "{{Name}}", "prompt": "x", "max_tokens": 2}""");
        Assert.Equal(HttpStatusCode.OK, ok);
    }

    [SharedFact]
    public async Task A_prompt_past_the_context_and_a_wrong_method_are_refused_in_json()
    {
        var longPrompt = string.Concat(Enumerable.Repeat("x y ", 600));
        var (code, error) = await Post("/v1/completions", JsonSerializer.Serialize(new { model = Name, prompt = longPrompt }));
        Assert.Equal(HttpStatusCode.BadRequest, code);
        Assert.Contains("context", error.GetProperty("error").GetProperty("message").GetString());
        using var get = await fx.Http.GetAsync("/v1/completions");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
        Assert.Contains("not allowed", await get.Content.ReadAsStringAsync());
    }

    [SharedFact]
    public async Task A_bounded_load_test_completes_without_errors_and_reports_latency_percentiles()
    {
        var report = await LoadBench.RunAsync(fx.Server, new LoadBenchOptions { Requests = 200, Concurrency = 16, MaxTokens = 8, ReferenceRequests = 4 },
            NullProgress.Instance);
        output.WriteLine(JsonSerializer.Serialize(report));
        Assert.True(report.Errors == 0, report.FirstError);
        Assert.Equal(200, report.Requests);
        Assert.True(report.RequestsPerSecond > 0);
        Assert.True(report.P50Ms > 0 && report.P50Ms <= report.P90Ms && report.P90Ms <= report.P99Ms);
        Assert.True(report.CompletionTokens > 0 && report.Batch1TokensPerSecond > 0 && report.Ratio > 0);
        Assert.True(report.MeanBatch > 1, $"16 concurrent requests should share forwards, mean batch {report.MeanBatch}");
    }
}
