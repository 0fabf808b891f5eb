using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using QuantReason.Serving;

namespace QuantReason.Tests.Serving;

/// <summary>Memory is measured across the process: these tests run alone, after the parallel ones.</summary>
[CollectionDefinition(nameof(ServerLimitsCollection), DisableParallelization = true)]
public sealed class ServerLimitsCollection;

/// <summary>
/// A bounded load test of the server's limits on loopback: oversized bodies (declared and chunked), a prompt the context
/// cannot hold and wrong content types, sent several at once; each is refused early with its status, and the server
/// answers ordinary requests throughout with bounded memory.
/// </summary>
[Collection(nameof(ServerLimitsCollection))]
public sealed class ServerLimitsTests(ServerFixture fx, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<ServerFixture>
{
    const long MB = 1 << 20;
    static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    /// <summary>A completion body of exactly <paramref name="length"/> bytes, generated as it is read; an unseekable one
    /// has no length to declare, so HttpClient sends it chunked.</summary>
    sealed class GeneratedBody(string model, long length, bool declareLength) : Stream
    {
        readonly byte[] _head = Encoding.UTF8.GetBytes("{\"model\": \"" + model + "\", \"max_tokens\": 1, \"prompt\": \""), _tail = "\"}"u8.ToArray();
        long _position;
        public override bool CanRead => true;
        public override bool CanSeek => declareLength;
        public override bool CanWrite => false;
        public override long Length => declareLength ? length : throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = (int)Math.Min(count, length - _position);
            for (int i = 0; i < n; i++)
            {
                long at = _position + i;
                buffer[offset + i] = at < _head.Length ? _head[at] : at >= length - _tail.Length ? _tail[at - (length - _tail.Length)] : (byte)'x';
            }
            _position += n;
            return n;
        }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    static HttpContent Json(Stream body, string type = "application/json")
    {
        var content = new StreamContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(type);
        return content;
    }

    /// <summary>Posts and returns the status and the error's code, or "ok"; a server that closed the connection after
    /// answering early may surface as a send failure only when it never answered, which fails the test.</summary>
    static async Task<(HttpStatusCode Status, string Code)> Post(HttpClient http, HttpContent content, CancellationToken cancel)
    {
        using var response = await http.PostAsync("/v1/completions", content, cancel);
        var text = await response.Content.ReadAsStringAsync(cancel);
        if (response.IsSuccessStatusCode) return (response.StatusCode, "ok");
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error");
        return (response.StatusCode, error.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : error.GetProperty("message").GetString()!);
    }

    HttpContent Ordinary(string type = "application/json") =>
        Json(new MemoryStream(Encoding.UTF8.GetBytes($$"""{"model": "{{fx.Session.Name}}", "prompt": "the", "max_tokens": 2}""")), type);

    static long SettledMemory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    [SharedFact]
    public void The_limits_follow_the_model_context_and_its_longest_token()
    {
        var limits = fx.Server.Limits;
        int longest = Enumerable.Range(0, fx.Session.Tokenizer.VocabSize).Max(id => fx.Session.Tokenizer.TokenToString(id)?.Length ?? 0);
        Assert.Equal(fx.Session.Model.Config.MaxPositionEmbeddings * longest, limits.MaxPromptChars);
        Assert.Equal(Math.Min(ServerLimits.MaxBodyCeiling, ServerLimits.Overhead + 6L * limits.MaxPromptChars), limits.MaxBodyBytes);
        Assert.True(limits.MaxBodyBytes < 28 * MB, $"a 28 MB body must be past the limit of {limits.MaxBodyBytes} bytes");
    }

    [SharedTheory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/json; charset=iso-8859-1")]
    [InlineData("multipart/form-data; boundary=x")]
    public async Task A_body_that_is_not_utf8_json_gets_415(string type)
    {
        using var cancel = new CancellationTokenSource(Bound);
        var (status, code) = await Post(fx.Http, Ordinary(type), cancel.Token);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.Equal("unsupported_media_type", code);
    }

    [SharedTheory]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/vnd.api+json")]
    public async Task Json_media_types_are_served(string type)
    {
        using var cancel = new CancellationTokenSource(Bound);
        Assert.Equal((HttpStatusCode.OK, "ok"), await Post(fx.Http, Ordinary(type), cancel.Token));
        // A body without a Content-Type is read as JSON: minimal clients leave it out.
        var bare = new ByteArrayContent(Encoding.UTF8.GetBytes($$"""{"model": "{{fx.Session.Name}}", "prompt": "the", "max_tokens": 2}"""));
        Assert.Equal((HttpStatusCode.OK, "ok"), await Post(fx.Http, bare, cancel.Token));
    }

    [SharedFact]
    public async Task A_prompt_the_context_cannot_hold_is_refused_before_it_is_tokenized()
    {
        // A server whose body limit lets 28 MB through, so the prompt check is what answers.
        await using var roomy = await OpenAiServer.StartAsync(fx.Session, "127.0.0.1", 0,
            limits: fx.Server.Limits with { MaxBodyBytes = 40 * MB });
        using var http = new HttpClient { BaseAddress = roomy.Address, Timeout = Bound };
        using var cancel = new CancellationTokenSource(Bound);
        Task<(HttpStatusCode, string)[]> ThreeAtOnce() => Task.WhenAll(Enumerable.Range(0, 3).Select(_ =>
            Post(http, Json(new GeneratedBody(fx.Session.Name, 28 * MB, declareLength: true)), cancel.Token)));
        // The first round fills the buffer pools; later rounds must reuse them, not grow.
        Assert.All(await ThreeAtOnce(), a => Assert.Equal((HttpStatusCode.BadRequest, "context_length_exceeded"), a));
        long before = SettledMemory(), allocated = GC.GetTotalAllocatedBytes();
        for (int round = 0; round < 2; round++)
            Assert.All(await ThreeAtOnce(), a => Assert.Equal((HttpStatusCode.BadRequest, "context_length_exceeded"), a));
        allocated = GC.GetTotalAllocatedBytes() - allocated;
        long retained = SettledMemory() - before;
        output.WriteLine($"2 rounds of 3 × 28 MB prompts: {allocated / MB} MB allocated, {retained / MB} MB retained");
        // Buffering a 28 MB body and its 56 MB string costs ~150 MB each; tokenizing it cost 1.8 GB each.
        // What stays is pooled buffers for parsing (System.Text.Json rents its document by the body's size), not a per-request leak.
        Assert.True(allocated < 6 * 400 * MB, $"{allocated / MB} MB allocated for six refused prompts");
        Assert.True(retained < 256 * MB, $"{retained / MB} MB more held after six more refused prompts");
        Assert.Equal((HttpStatusCode.OK, "ok"), await Post(http, Ordinary(), cancel.Token));
    }

    async Task<(HttpStatusCode, string)> SendExpectingContinue(long length)
    {
        using var cancel = new CancellationTokenSource(Bound);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = Json(new GeneratedBody(fx.Session.Name, length, declareLength: true)),
        };
        request.Headers.ExpectContinue = true;
        // The client sends anyway once it tires of waiting for 100 (1 s by default), which a loaded machine can exceed.
        using var http = new HttpClient(new SocketsHttpHandler { Expect100ContinueTimeout = Bound }) { BaseAddress = fx.Server.Address, Timeout = Bound };
        using var response = await http.SendAsync(request, cancel.Token);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancel.Token)).RootElement.GetProperty("error");
        return (response.StatusCode, error.GetProperty("code").GetString()!);
    }

    [SharedFact]
    public async Task Oversized_and_mistyped_bodies_sent_at_once_are_refused_and_the_server_stays_responsive()
    {
        using var cancel = new CancellationTokenSource(Bound);
        var name = fx.Session.Name;
        long before = SettledMemory();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var refused = new List<(string What, HttpStatusCode Expected, string Code, Task<(HttpStatusCode, string)> Answer)>();
        void Send(string what, HttpStatusCode expected, string code, Func<HttpContent> content)
        {
            for (int i = 0; i < 3; i++) refused.Add((what, expected, code, Post(fx.Http, content(), cancel.Token)));
        }
        Send("50 MB declared", HttpStatusCode.RequestEntityTooLarge, "request_too_large", () => Json(new GeneratedBody(name, 50 * MB, true)));
        Send("50 MB chunked", HttpStatusCode.RequestEntityTooLarge, "request_too_large", () => Json(new GeneratedBody(name, 50 * MB, false)));
        Send("28 MB declared", HttpStatusCode.RequestEntityTooLarge, "request_too_large", () => Json(new GeneratedBody(name, 28 * MB, true)));
        // Past the drain ceiling a body is never read: a client that waits for 100-continue gets the 413 unsent.
        refused.Add(("1 GB declared, expecting 100-continue", HttpStatusCode.RequestEntityTooLarge, "request_too_large", SendExpectingContinue(1024 * MB)));
        Send("text/plain", HttpStatusCode.UnsupportedMediaType, "unsupported_media_type", () => Ordinary("text/plain"));
        var ordinary = Enumerable.Range(0, 4).Select(_ => Post(fx.Http, Ordinary(), cancel.Token)).ToList();

        foreach (var (what, expected, code, answer) in refused)
        {
            (HttpStatusCode, string) got;
            try { got = await answer; }
            catch (HttpRequestException e) { throw new Xunit.Sdk.XunitException($"{what}: no answer ({e.Message}: {e.InnerException?.Message})"); }
            Assert.True(got == (expected, code), $"{what}: {got}");
        }
        Assert.All(await Task.WhenAll(ordinary), a => Assert.Equal((HttpStatusCode.OK, "ok"), a));
        Assert.Equal((HttpStatusCode.OK, "ok"), await Post(fx.Http, Ordinary(), cancel.Token));
        long retained = SettledMemory() - before;
        output.WriteLine($"{refused.Count} refused and {ordinary.Count + 1} served in {clock.Elapsed.TotalSeconds:F1} s; {retained / MB} MB retained");
        Assert.True(retained < 100 * MB, $"{retained / MB} MB still held after the refused bodies");
    }
}
