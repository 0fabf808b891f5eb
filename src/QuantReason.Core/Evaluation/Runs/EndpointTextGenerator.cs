using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Models;

namespace QuantReason.Evaluation.Runs;

/// <summary>
/// How to reach an OpenAI-compatible server (vLLM, SGLang, llama.cpp's server, <c>quantreason serve</c>). The URL may
/// name the API root (<c>…/v1</c>) or the host alone; <see cref="Model"/> null asks the server's /v1/models for its first.
/// </summary>
public sealed record EndpointOptions(Uri Url, string? Model = null, string? ApiKey = null)
{
    /// <summary>Requests in flight at once; more wait.</summary>
    public int Concurrency { get; init; } = 8;
    /// <summary>Time one attempt may take before it counts as a timeout and is retried.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(10);
    /// <summary>Attempts after the first; a request that still fails is recorded as failed and retried when the run is resumed.</summary>
    public int MaxRetries { get; init; } = 5;
    /// <summary>Wait before the first retry; each further retry doubles it (capped at <see cref="MaxBackoff"/>).</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromMinutes(1);

    public void Validate()
    {
        if (!Url.IsAbsoluteUri || Url.Scheme is not ("http" or "https"))
            throw new QuantReasonException("endpoint must be an absolute http(s) URL", Url.ToString());
        if (Concurrency < 1) throw new QuantReasonException($"concurrency must be at least 1, got {Concurrency}", "--concurrency");
        if (Timeout <= TimeSpan.Zero) throw new QuantReasonException($"timeout must be positive, got {Timeout}", "--timeout");
        if (MaxRetries < 0) throw new QuantReasonException($"retries must be ≥ 0, got {MaxRetries}", "--retries");
    }

    /// <summary>The API root the OpenAI client appends paths to: the URL with <c>/v1</c> added unless it is there.</summary>
    public Uri ApiRoot
    {
        get
        {
            var s = Url.ToString().TrimEnd('/');
            return new Uri(s.EndsWith("/v1", StringComparison.Ordinal) ? s : s + "/v1");
        }
    }
}

/// <summary>
/// The endpoint backend, through the OpenAI package's pipeline: chat prompts go to /v1/chat/completions as messages
/// (the server applies its model's template), completion prompts to /v1/completions. The package's own retries are off;
/// this class retries connection failures, timeouts, 408, 429 and 5xx with exponential backoff, and counts retries and
/// timeouts for the manifest. Other 4xx answers are the request's fault and fail at once.
/// </summary>
public sealed class EndpointTextGenerator : ITextGenerator, IRetryCounts, IDisposable
{
    readonly EndpointOptions _options;
    readonly ChatClient _chat;
    readonly OpenAIModelClient _models;
    readonly SemaphoreSlim _slots;
    string? _model;
    int _retries, _timeouts;

    public int Retries => Volatile.Read(ref _retries);
    public int Timeouts => Volatile.Read(ref _timeouts);

    /// <summary>Replaces the wait between attempts (tests make it instant).</summary>
    internal Func<TimeSpan, CancellationToken, Task> Delay { get; init; } = Task.Delay;

    public EndpointTextGenerator(EndpointOptions options)
    {
        options.Validate();
        _options = options;
        _model = options.Model;
        var client = new OpenAIClientOptions
        {
            Endpoint = options.ApiRoot,
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            // Our own per-attempt timeout fires first, so a slow answer is counted as a timeout and retried here.
            NetworkTimeout = options.Timeout + TimeSpan.FromSeconds(30),
        };
        // Local servers take any key; a real key comes from the options or OPENAI_API_KEY.
        var key = new ApiKeyCredential(options.ApiKey ?? Environment.GetEnvironmentVariable("OPENAI_API_KEY") ?? "none");
        _chat = new ChatClient(options.Model ?? "default", key, client);
        _models = new OpenAIModelClient(key, client);
        _slots = new SemaphoreSlim(options.Concurrency);
    }

    public string Url => _options.ApiRoot.ToString();

    /// <summary>The model requests name: the given one, else the first the server lists.</summary>
    public async Task<string> ModelAsync(CancellationToken cancel = default)
    {
        if (_model is not null) return _model;
        var list = await Attempt(token => _models.GetModelsAsync(new RequestOptions { CancellationToken = token }), cancel);
        using var doc = JsonDocument.Parse(list.GetRawResponse().Content.ToMemory());
        var first = doc.RootElement.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array && data.GetArrayLength() > 0
            ? data[0].GetProperty("id").GetString() : null;
        return _model = first ?? throw new QuantReasonException("the server lists no models; give --endpoint-model", Url);
    }

    public async Task<GenerationResult> GenerateAsync(GenerationRequest request, CancellationToken cancel)
    {
        await _slots.WaitAsync(cancel);
        try
        {
            var model = await ModelAsync(cancel);
            var body = new JsonObject
            {
                ["model"] = model,
                ["max_tokens"] = request.MaxNewTokens,
                ["temperature"] = request.Temperature,
                ["top_p"] = request.TopP,
                ["seed"] = request.Seed,
                ["n"] = 1,
                ["stream"] = false,
            };
            // top_k is an extension (vLLM, SGLang, llama.cpp, quantreason serve); OpenAI itself rejects it.
            if (request.TopK > 0) body["top_k"] = request.TopK;
            if (request.Stop.Count > 0) body["stop"] = new JsonArray(request.Stop.Select(s => (JsonNode)s!).ToArray());
            bool chat = request.Messages is not null;
            if (chat)
                body["messages"] = new JsonArray(request.Messages!.Select(m => (JsonNode)new JsonObject { ["role"] = m.Role, ["content"] = m.Content }).ToArray());
            else body["prompt"] = request.Prompt;
            var bytes = BinaryData.FromString(body.ToJsonString());
            var result = await Attempt(token =>
            {
                var options = new RequestOptions { CancellationToken = token };
                return chat ? _chat.CompleteChatAsync(BinaryContent.Create(bytes), options) : CompleteAsync(bytes, options);
            }, cancel);
            return Parse(result.GetRawResponse().Content, chat);
        }
        finally { _slots.Release(); }
    }

    /// <summary>
    /// POST /v1/completions through the chat client's pipeline (the package keeps its legacy-completions client
    /// internal), so both routes share authentication, transport and error handling.
    /// </summary>
    async Task<ClientResult> CompleteAsync(BinaryData body, RequestOptions options)
    {
        var pipeline = _chat.Pipeline;
        var message = pipeline.CreateMessage();
        message.ResponseClassifier = PipelineMessageClassifier.Create([200]);
        message.Request.Method = "POST";
        message.Request.Uri = new Uri(_options.ApiRoot.ToString().TrimEnd('/') + "/completions");
        message.Request.Headers.Set("Content-Type", "application/json");
        message.Request.Headers.Set("Accept", "application/json");
        message.Request.Content = BinaryContent.Create(body);
        message.Apply(options);
        await pipeline.SendAsync(message);
        if (message.Response!.IsError) throw new ClientResultException(message.Response);
        return ClientResult.FromResponse(message.ExtractResponse() ?? throw new QuantReasonException("the endpoint sent no response", _options.ApiRoot.ToString()));
    }

    /// <summary>Reads the first choice and the usage counts of a (chat) completion response.</summary>
    GenerationResult Parse(BinaryData content, bool chat)
    {
        try
        {
            using var doc = JsonDocument.Parse(content.ToMemory());
            var choice = doc.RootElement.GetProperty("choices")[0];
            var text = chat ? choice.GetProperty("message").GetProperty("content").GetString() : choice.GetProperty("text").GetString();
            var reason = choice.TryGetProperty("finish_reason", out var f) && f.ValueKind == JsonValueKind.String && f.GetString() == "length"
                ? FinishReason.Length : FinishReason.Stop;
            int tokensIn = 0, tokensOut = 0;
            if (doc.RootElement.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                if (usage.TryGetProperty("prompt_tokens", out var p) && p.TryGetInt32(out var pi)) tokensIn = pi;
                if (usage.TryGetProperty("completion_tokens", out var c) && c.TryGetInt32(out var ci)) tokensOut = ci;
            }
            return new GenerationResult(text ?? "", reason, tokensIn, tokensOut);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
        {
            throw new QuantReasonException($"unexpected response ({e.Message})", Url, e);
        }
    }

    /// <summary>One call with the timeout per attempt and exponential backoff between attempts.</summary>
    async Task<ClientResult> Attempt(Func<CancellationToken, Task<ClientResult>> call, CancellationToken cancel)
    {
        for (var attempt = 0; ; attempt++)
        {
            string failure;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel))
            {
                timeout.CancelAfter(_options.Timeout);
                try { return await call(timeout.Token); }
                catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
                {
                    Interlocked.Increment(ref _timeouts);
                    failure = $"timed out after {_options.Timeout.TotalSeconds:0.###} s";
                }
                catch (ClientResultException e) when (Transient(e.Status))
                {
                    failure = e.Status == 0 ? e.Message : $"HTTP {e.Status}";
                }
                catch (ClientResultException e)
                {
                    throw new QuantReasonException($"request refused: HTTP {e.Status} {FirstLine(e.Message)}", Url, e);
                }
                catch (Exception e) when (e is HttpRequestException or IOException)
                {
                    failure = e.Message;
                }
            }
            if (attempt >= _options.MaxRetries)
                throw new QuantReasonException($"gave up after {attempt + 1} attempts: {failure}", Url);
            Interlocked.Increment(ref _retries);
            var wait = TimeSpan.FromTicks(Math.Min(_options.MaxBackoff.Ticks, _options.InitialBackoff.Ticks * (1L << Math.Min(attempt, 30))));
            await Delay(wait, cancel);
        }
    }

    /// <summary>Worth another try: no answer (0), request timeout, rate limit, or a server-side error.</summary>
    static bool Transient(int status) => status is 0 or 408 or 429 || status >= 500;

    static string FirstLine(string s) => s.Split('\n', 2)[0].Trim();

    public void Dispose() => _slots.Dispose();
}
