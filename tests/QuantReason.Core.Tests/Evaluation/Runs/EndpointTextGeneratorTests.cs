using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using QuantReason.Evaluation.Runs;
using QuantReason.Data.Prompts;
using QuantReason.Jobs;

namespace QuantReason.Tests.Evaluation.Runs;

/// <summary>The endpoint backend against a scripted OpenAI-compatible server on loopback (no model involved).</summary>
public sealed class EndpointTextGeneratorTests : IAsyncLifetime
{
    WebApplication _app = null!;
    Uri _url = null!;
    int _calls;
    readonly List<(string Path, JsonElement Body)> _requests = [];
    /// <summary>Answers the n-th call (1-based): a status and body, or a delay first.</summary>
    Func<int, (int Status, TimeSpan Delay)> _script = _ => (200, TimeSpan.Zero);

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _app = builder.Build();
        async Task Handle(HttpContext ctx, bool chat)
        {
            var n = Interlocked.Increment(ref _calls);
            using var doc = await JsonDocument.ParseAsync(ctx.Request.Body);
            lock (_requests) _requests.Add((ctx.Request.Path, doc.RootElement.Clone()));
            var (status, delay) = _script(n);
            if (delay > TimeSpan.Zero)
                try { await Task.Delay(delay, ctx.RequestAborted); } catch (OperationCanceledException) { return; }
            ctx.Response.StatusCode = status;
            if (status != 200) { await ctx.Response.WriteAsJsonAsync(new { error = new { message = $"scripted {status}" } }); return; }
            object choice = chat
                ? new { index = 0, message = new { role = "assistant", content = $"call {n}: \\boxed{{4}}" }, finish_reason = "stop" }
                : new { index = 0, text = $"call {n}: \\boxed{{4}}", finish_reason = "length" };
            await ctx.Response.WriteAsJsonAsync(new { choices = new[] { choice }, usage = new { prompt_tokens = 7, completion_tokens = 5, total_tokens = 12 } });
        }
        _app.MapPost("/v1/chat/completions", ctx => Handle(ctx, chat: true));
        _app.MapPost("/v1/completions", ctx => Handle(ctx, chat: false));
        _app.MapGet("/v1/models", () => Results.Json(new { @object = "list", data = new[] { new { id = "served-model" } } }));
        await _app.StartAsync();
        _url = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    EndpointTextGenerator Generator(TimeSpan? timeout = null, int retries = 3) => new(new EndpointOptions(_url, null)
    {
        Timeout = timeout ?? TimeSpan.FromSeconds(30), MaxRetries = retries, InitialBackoff = TimeSpan.FromMilliseconds(10),
    });

    static GenerationRequest Completion => new("Q: 2+2?\nA:", 32, 0, 1, 0, 3) { Stop = ["\n\n"] };

    [Fact]
    public async Task A_completion_prompt_goes_to_completions_with_every_setting()
    {
        using var g = Generator();
        var r = await g.GenerateAsync(Completion, default);
        Assert.Equal(new GenerationResult("call 1: \\boxed{4}", FinishReason.Length, 7, 5), r);
        var (path, body) = Assert.Single(_requests);
        Assert.Equal("/v1/completions", path);
        Assert.Equal("served-model", body.GetProperty("model").GetString()); // the server's first model, as none was named
        Assert.Equal("Q: 2+2?\nA:", body.GetProperty("prompt").GetString());
        Assert.Equal((32, 0.0, 3), (body.GetProperty("max_tokens").GetInt32(), body.GetProperty("temperature").GetDouble(), body.GetProperty("seed").GetInt32()));
        Assert.Equal("\n\n", body.GetProperty("stop")[0].GetString());
        Assert.False(body.TryGetProperty("top_k", out _)); // OpenAI itself rejects top_k; sent only when asked for
    }

    [Fact]
    public async Task A_chat_prompt_goes_to_chat_completions_as_messages()
    {
        using var g = Generator();
        var request = new GenerationRequest("ignored", 16, 0.7, 0.9, 20, 1) { Messages = [new ChatMessage("system", "S"), new ChatMessage("user", "U")] };
        var r = await g.GenerateAsync(request, default);
        Assert.Equal(FinishReason.Stop, r.FinishReason);
        var (path, body) = Assert.Single(_requests);
        Assert.Equal("/v1/chat/completions", path);
        Assert.Equal(["system:S", "user:U"], body.GetProperty("messages").EnumerateArray()
            .Select(m => $"{m.GetProperty("role").GetString()}:{m.GetProperty("content").GetString()}"));
        Assert.Equal(20, body.GetProperty("top_k").GetInt32());
    }

    [Fact]
    public async Task A_timed_out_request_is_retried_with_backoff_and_counted()
    {
        // The first call never answers; later ones answer at once, but on a loaded machine one of those may still miss
        // the deadline. So the test holds what must hold however slow the machine: every failed attempt was a timeout,
        // each was counted and retried once, and the answer never comes from the call that timed out.
        _script = n => n == 1 ? (200, TimeSpan.FromMinutes(10)) : (200, TimeSpan.Zero);
        using var g = Generator(timeout: TimeSpan.FromSeconds(1), retries: 8);
        var r = await g.GenerateAsync(Completion, default);
        Assert.InRange(g.Timeouts, 1, 8);
        Assert.Equal(g.Timeouts, g.Retries);
        Assert.Matches(@"^call ([2-9]|1[0-9]): \\boxed\{4\}$", r.Output); // never the first call, which never answered
    }

    [Fact]
    public async Task Server_errors_and_rate_limits_are_retried_but_a_bad_request_is_not()
    {
        _script = n => n switch { 1 => (503, TimeSpan.Zero), 2 => (429, TimeSpan.Zero), _ => (200, TimeSpan.Zero) };
        using (var g = Generator())
        {
            Assert.Equal("call 3: \\boxed{4}", (await g.GenerateAsync(Completion, default)).Output);
            Assert.Equal((2, 0), (g.Retries, g.Timeouts));
        }
        _calls = 0;
        _script = _ => (400, TimeSpan.Zero);
        using (var g = Generator())
        {
            var e = await Assert.ThrowsAsync<QuantReasonException>(() => g.GenerateAsync(Completion, default));
            Assert.Contains("HTTP 400", e.Message);
            Assert.Equal((1, 0), (_calls, g.Retries));
        }
    }

    [Fact]
    public async Task Retries_run_out_with_a_clear_error_and_the_run_records_them()
    {
        _script = _ => (500, TimeSpan.Zero);
        using var g = Generator(retries: 2);
        var dir = Directory.CreateTempSubdirectory("qr-endpoint-").FullName;
        try
        {
            using (var run = RunDirectory.OpenOrCreate(dir, RunFixtures.Manifest("r") with { Backend = new BackendInfo("endpoint", _url.ToString(), 0, 0) }))
            {
                var e = await Assert.ThrowsAsync<QuantReasonException>(() =>
                    EvaluationRunner.RunAsync(RunFixtures.Problems(2), p => p.Text, g, run, NullProgress.Instance));
                Assert.Contains("2 of 2 requests failed and are not scored", e.Message);
                Assert.Contains("gave up after 3 attempts: HTTP 500", e.Message);
            }
            // a failed request is no answer: nothing is written for it, so nothing is scored wrong
            Assert.Empty(RunDirectory.ReadPredictions(Path.Combine(dir, RunDirectory.PredictionsFile)));
            var manifest = RunDirectory.ReadManifest(dir);
            Assert.Equal((4, 0, 2, 0), (manifest.Backend.Retries, manifest.Backend.Timeouts, manifest.Counts.Errors, manifest.Counts.Completed));
            Assert.Equal(RunStatus.Incomplete, manifest.Status);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public async Task A_server_that_is_not_there_is_retried_then_reported_with_its_url()
    {
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        using var g = new EndpointTextGenerator(new EndpointOptions(new Uri($"http://127.0.0.1:{port}"), "m")
        {
            MaxRetries = 1, InitialBackoff = TimeSpan.FromMilliseconds(10),
        });
        var e = await Assert.ThrowsAsync<QuantReasonException>(() => g.GenerateAsync(Completion, default));
        Assert.StartsWith($"http://127.0.0.1:{port}/v1", e.Message);
        Assert.Contains("gave up after 2 attempts", e.Message);
        Assert.Equal(1, g.Retries);
    }

    [Fact]
    public void A_url_without_the_api_root_gets_v1()
    {
        Assert.Equal("http://h:1/v1", new EndpointOptions(new Uri("http://h:1")).ApiRoot.ToString().TrimEnd('/'));
        Assert.Equal("http://h:1/v1", new EndpointOptions(new Uri("http://h:1/v1/")).ApiRoot.ToString().TrimEnd('/'));
        Assert.Throws<QuantReasonException>(() => new EndpointOptions(new Uri("ftp://h/")).Validate());
    }
}
