using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using QuantReason.Runtime;

namespace QuantReason.Serving;

/// <summary>
/// An OpenAI-compatible server over one <see cref="ModelSession"/>: <c>/v1/models</c>, <c>/v1/completions</c> and
/// <c>/v1/chat/completions</c>, streamed (server-sent events) or not. Concurrent requests share the session's queue, which
/// batches them onto the single model. Every refused or failed request gets a JSON error body with a 4xx/5xx status;
/// nothing a client sends can stop the server.
/// </summary>
public sealed class OpenAiServer : IAsyncDisposable
{
    static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    readonly WebApplication _app;
    public ModelSession Session { get; }
    /// <summary>The address the server listens on, with the port the system chose when port 0 was asked for.</summary>
    public Uri Address { get; private set; } = null!;
    readonly long _created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    OpenAiServer(ModelSession session, WebApplication app)
    {
        Session = session;
        _app = app;
    }

    /// <summary>Starts listening on host:port (port 0: any free port); <paramref name="log"/> gets one line per request.</summary>
    public static async Task<OpenAiServer> StartAsync(ModelSession session, string host = "127.0.0.1", int port = 8000,
        TextWriter? log = null, CancellationToken cancel = default)
    {
        var address = host == "localhost" ? IPAddress.Loopback
            : IPAddress.TryParse(host, out var a) ? a : throw new QuantReasonException($"--host must be an IP address or localhost, got '{host}'", "--host");
        if (port is < 0 or > 65535) throw new QuantReasonException($"--port must be in 0..65535, got {port}", "--port");
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(address, port));
        var app = builder.Build();
        var server = new OpenAiServer(session, app);
        server.Map(app, log);
        try { await app.StartAsync(cancel); }
        catch (IOException e)
        {
            throw new QuantReasonException($"cannot listen on {host}:{port}: {e.Message}", "--port", e);
        }
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Address = new Uri(bound);
        return server;
    }

    void Map(WebApplication app, TextWriter? log)
    {
        // Outermost: whatever goes wrong becomes a JSON error, and the host never sees an exception.
        app.Use(async (ctx, next) =>
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            try { await next(ctx); }
            catch (ApiError e) { await Error(ctx, e); }
            catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested) { }
            catch (QuantReasonException e) { await Error(ctx, new ApiError(400, e.Message)); }
            catch (Exception e) { await Error(ctx, new ApiError(500, $"internal error: {e.Message}")); }
            log?.WriteLine($"{ctx.Request.Method} {ctx.Request.Path} {ctx.Response.StatusCode} {clock.Elapsed.TotalMilliseconds:0} ms");
        });
        // Routing answers a wrong method (405) or an unknown path (404) with an empty body; give those a JSON error too.
        app.UseStatusCodePages(async ctx =>
        {
            var status = ctx.HttpContext.Response.StatusCode;
            await Error(ctx.HttpContext, new ApiError(status, status == 405
                ? $"method {ctx.HttpContext.Request.Method} is not allowed on {ctx.HttpContext.Request.Path}"
                : $"no route {ctx.HttpContext.Request.Path}"));
        });
        app.MapGet("/v1/models", () => Results.Json(new
        {
            @object = "list",
            data = new[] { new { id = Session.Name, @object = "model", created = _created, owned_by = "quantreason" } },
        }, Json));
        app.MapGet("/v1/models/{id}", (string id) => id == Session.Name
            ? Results.Json(new { id = Session.Name, @object = "model", created = _created, owned_by = "quantreason" }, Json)
            : throw new ApiError(404, $"model '{id}' does not exist; this server has '{Session.Name}'", "model", "model_not_found"));
        app.MapPost("/v1/completions", (HttpContext ctx) => Complete(ctx, chat: false));
        app.MapPost("/v1/chat/completions", (HttpContext ctx) => Complete(ctx, chat: true));
        app.MapGet("/health", () => Results.Text("ok"));
    }

    static async Task Error(HttpContext ctx, ApiError e)
    {
        if (ctx.Response.HasStarted) return;
        ctx.Response.Clear();
        ctx.Response.StatusCode = e.Status;
        await ctx.Response.WriteAsJsonAsync(e.Body(), Json);
    }

    async Task Complete(HttpContext ctx, bool chat)
    {
        JsonDocument doc;
        try { doc = await JsonDocument.ParseAsync(ctx.Request.Body, default, ctx.RequestAborted); }
        catch (JsonException e) { throw new ApiError(400, $"malformed JSON body: {e.Message.Split(" Path:")[0]}"); }
        OpenAiRequest request;
        using (doc) request = OpenAiRequest.Parse(doc.RootElement, chat);
        if (request.Model != Session.Name)
            throw new ApiError(404, $"model '{request.Model}' does not exist; this server has '{Session.Name}'", "model", "model_not_found");

        int[] ids;
        if (chat) ids = Session.EncodeChat(Session.RenderChat(request.Messages!));
        else ids = Session.EncodeCompletion(request.Prompt!);
        int context = Session.Model.Config.MaxPositionEmbeddings;
        if (ids.Length == 0) throw new ApiError(400, "prompt is empty", chat ? "messages" : "prompt");
        if (ids.Length >= context)
            throw new ApiError(400, $"the prompt has {ids.Length} tokens; this model's context is {context}", chat ? "messages" : "prompt");
        var maxTokens = Math.Min(request.MaxTokens ?? context - ids.Length, context - ids.Length);
        var seed = request.Seed ?? (ulong)Random.Shared.NextInt64();
        var sampling = new SamplingOptions((float)request.Temperature, request.TopK, (float)request.TopP);
        TextRequest For(int choice) => new(ids, maxTokens, sampling, seed + (ulong)choice, request.Stop);

        var id = (chat ? "chatcmpl-" : "cmpl-") + Guid.NewGuid().ToString("N");
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var kind = chat ? "chat.completion" : "text_completion";
        if (!request.Stream)
        {
            var results = await Task.WhenAll(Enumerable.Range(0, request.N)
                .Select(i => Session.CompleteAsync(For(i), cancel: ctx.RequestAborted)));
            await ctx.Response.WriteAsJsonAsync(new
            {
                id, @object = kind, created, model = Session.Name,
                choices = results.Select((r, i) => chat
                    ? (object)new { index = i, message = new { role = "assistant", content = r.Text }, logprobs = (object?)null, finish_reason = Reason(r) }
                    : new { index = i, text = r.Text, logprobs = (object?)null, finish_reason = Reason(r) }).ToArray(),
                usage = Usage(ids.Length, results),
            }, Json, ctx.RequestAborted);
            return;
        }

        ctx.Response.ContentType = "text/event-stream";
        ctx.Response.Headers.CacheControl = "no-cache";
        var chunkKind = chat ? "chat.completion.chunk" : "text_completion";
        var deltas = Channel.CreateUnbounded<(int Choice, string Text)>();
        var work = Enumerable.Range(0, request.N).Select(i =>
            Session.CompleteAsync(For(i), text => deltas.Writer.TryWrite((i, text)), ctx.RequestAborted)).ToArray();
        _ = Task.WhenAll(work).ContinueWith(_ => deltas.Writer.TryComplete(), TaskScheduler.Default);

        async Task Send(object chunk)
        {
            await ctx.Response.WriteAsync("data: " + JsonSerializer.Serialize(chunk, Json) + "\n\n", ctx.RequestAborted);
            await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
        }
        object Chunk(int i, string? text, string? reason, bool first = false) => chat
            ? new { id, @object = chunkKind, created, model = Session.Name,
                    choices = new[] { new { index = i, delta = Delta(text, first), logprobs = (object?)null, finish_reason = reason } } }
            : new { id, @object = chunkKind, created, model = Session.Name,
                    choices = new[] { new { index = i, text = text ?? "", logprobs = (object?)null, finish_reason = reason } } };

        if (chat) for (int i = 0; i < request.N; i++) await Send(Chunk(i, "", null, first: true));
        await foreach (var (choice, text) in deltas.Reader.ReadAllAsync(ctx.RequestAborted)) await Send(Chunk(choice, text, null));
        TextResult[] done;
        try { done = await Task.WhenAll(work); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Headers are gone already: the failure travels as an error event, as OpenAI streams do.
            await Send(new ApiError(500, $"generation failed: {e.Message}").Body());
            return;
        }
        for (int i = 0; i < done.Length; i++) await Send(Chunk(i, null, Reason(done[i])));
        if (request.IncludeUsage)
            await Send(new { id, @object = chunkKind, created, model = Session.Name, choices = Array.Empty<object>(), usage = Usage(ids.Length, done) });
        await ctx.Response.WriteAsync("data: [DONE]\n\n", ctx.RequestAborted);
    }

    static object Delta(string? text, bool first) =>
        first ? new { role = "assistant", content = text } : text is null ? new { } : new { content = text };

    static string Reason(TextResult r) => r.FinishReason == QuantReason.Runtime.FinishReason.Length ? "length" : "stop";

    static object Usage(int promptTokens, IReadOnlyList<TextResult> results)
    {
        var completion = results.Sum(r => r.CompletionTokens);
        return new { prompt_tokens = promptTokens, completion_tokens = completion, total_tokens = promptTokens + completion };
    }

    /// <summary>Runs until <paramref name="cancel"/> fires (Ctrl+C in the CLI), then stops accepting and drains.</summary>
    public async Task WaitAsync(CancellationToken cancel)
    {
        try { await Task.Delay(Timeout.Infinite, cancel); }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
