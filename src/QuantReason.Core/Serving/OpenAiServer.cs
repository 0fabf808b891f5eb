using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
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
/// nothing a client sends can stop the server. Sizes are checked before work that grows with them (see
/// <see cref="ServerLimits"/>): a non-JSON Content-Type gets 415, a body past the limit 413 (declared or counted while
/// reading), a prompt past what the context can hold 400, before it is tokenized.
/// </summary>
public sealed class OpenAiServer : IAsyncDisposable
{
    static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    readonly WebApplication _app;
    public ModelSession Session { get; }
    /// <summary>The address the server listens on, with the port the system chose when port 0 was asked for.</summary>
    public Uri Address { get; private set; } = null!;
    public ServerLimits Limits { get; }
    readonly long _created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    OpenAiServer(ModelSession session, WebApplication app, ServerLimits limits)
    {
        Session = session;
        _app = app;
        Limits = limits;
    }

    /// <summary>Starts listening on host:port (port 0: any free port); <paramref name="log"/> gets one line per request.</summary>
    public static async Task<OpenAiServer> StartAsync(ModelSession session, string host = "127.0.0.1", int port = 8000,
        TextWriter? log = null, CancellationToken cancel = default, ServerLimits? limits = null)
    {
        limits ??= ServerLimits.For(session);
        limits.Validate();
        var address = host == "localhost" ? IPAddress.Loopback
            : IPAddress.TryParse(host, out var a) ? a : throw new QuantReasonException($"--host must be an IP address or localhost, got '{host}'", "--host");
        if (port is < 0 or > 65535) throw new QuantReasonException($"--port must be in 0..65535, got {port}", "--port");
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(address, port);
            // The host's own guard, behind the checks in ReadBodyAsync, which drop refused bodies up to this size.
            k.Limits.MaxRequestBodySize = Math.Max(limits.MaxBodyBytes, limits.DrainCeiling);
        });
        var app = builder.Build();
        var server = new OpenAiServer(session, app, limits);
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
            catch (BadHttpRequestException e) { await Error(ctx, new ApiError(e.StatusCode, e.Message)); }
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
        var body = await ReadBodyAsync(ctx);
        OpenAiRequest request;
        using (var doc = JsonInput.Parse(body, "request body")) request = OpenAiRequest.Parse(doc.RootElement, chat);
        if (request.Model != Session.Name)
            throw new ApiError(404, $"model '{QuantReasonException.Quote(request.Model)}' does not exist; this server has '{Session.Name}'", "model", "model_not_found");

        int context = Session.Model.Config.MaxPositionEmbeddings;
        void CheckLength(int chars)
        {
            if (chars > Limits.MaxPromptChars)
                throw new ApiError(400, $"the prompt has {chars} characters; this model's context of {context} tokens holds at most {Limits.MaxPromptChars}",
                    chat ? "messages" : "prompt", "context_length_exceeded");
        }
        int[] ids;
        if (chat)
        {
            CheckLength(request.Messages!.Sum(m => m.Content.Length));
            var rendered = Session.RenderChat(request.Messages!);
            CheckLength(rendered.Length);
            ids = Session.EncodeChat(rendered);
        }
        else
        {
            CheckLength(request.Prompt!.Length);
            ids = Session.EncodeCompletion(request.Prompt!);
        }
        if (ids.Length == 0) throw new ApiError(400, "prompt is empty", chat ? "messages" : "prompt");
        if (ids.Length >= context)
            throw new ApiError(400, $"the prompt has {ids.Length} tokens; this model's context is {context}", chat ? "messages" : "prompt", "context_length_exceeded");
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

    /// <summary>
    /// The body as UTF-8 JSON bytes, refused before it is read when its type or declared size is wrong, and while it is
    /// read (chunked bodies declare no size) as soon as it passes the limit. A refused body up to
    /// <see cref="ServerLimits.DrainCeiling"/> is read to its end and dropped, in fixed memory, so that a client that sends
    /// it whole before reading (most do; only those sending Expect: 100-continue wait) receives the 413 instead of a
    /// broken connection; a larger one is cut off.
    /// </summary>
    async Task<ReadOnlyMemory<byte>> ReadBodyAsync(HttpContext ctx)
    {
        var type = ctx.Request.ContentType;
        if (type is not null && !IsJson(type))
            throw new ApiError(415, $"Content-Type must be application/json, got '{QuantReasonException.Quote(type, 60)}'", code: "unsupported_media_type");
        ApiError TooLarge(string size) => new(413,
            $"request body {size} exceeds this server's limit of {Limits.MaxBodyBytes} bytes (its prompts hold at most {Limits.MaxPromptChars} characters)",
            code: "request_too_large");

        var chunk = ArrayPool<byte>.Shared.Rent(64 << 10);
        try
        {
            async Task<long> DropRestAsync()
            {
                long dropped = 0;
                try { for (int n; (n = await ctx.Request.Body.ReadAsync(chunk, ctx.RequestAborted)) > 0;) dropped += n; }
                catch (BadHttpRequestException) { } // past the drain ceiling: the host closes the connection
                return dropped;
            }
            if (ctx.Request.ContentLength is long declared && declared > Limits.MaxBodyBytes)
            {
                if (declared <= Limits.DrainCeiling) await DropRestAsync();
                throw TooLarge($"of {declared} bytes");
            }
            var body = new MemoryStream();
            for (int n; (n = await ctx.Request.Body.ReadAsync(chunk, ctx.RequestAborted)) > 0;)
            {
                if (body.Length + n > Limits.MaxBodyBytes)
                    throw TooLarge($"of {body.Length + n + await DropRestAsync()} bytes or more");
                body.Write(chunk, 0, n);
            }
            return body.GetBuffer().AsMemory(0, (int)body.Length);
        }
        finally { ArrayPool<byte>.Shared.Return(chunk); }
    }

    /// <summary>application/json or any +json type, in UTF-8 (the only charset JSON allows between systems, RFC 8259).</summary>
    static bool IsJson(string contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media)
        && (media.MediaType is { } m && (m.Equals("application/json", StringComparison.OrdinalIgnoreCase) || m.EndsWith("+json", StringComparison.OrdinalIgnoreCase)))
        && (media.CharSet is null || media.CharSet.Trim('"').Equals("utf-8", StringComparison.OrdinalIgnoreCase));

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
