using System.Collections.Concurrent;
using System.Net;
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

namespace QuantReason.Tests.Judging;

/// <summary>How a scripted judge model misbehaves on its first attempt at each case (or always).</summary>
public enum Misbehaviour { None, MalformedFirst, ServerErrorFirst, SlowFirst, AlwaysMalformed, UnknownType, PastTheEnd }

/// <summary>A scripted judge model: right with probability <see cref="Accuracy"/> (a seeded draw per case), else a wrong step.</summary>
public sealed record ScriptedJudge(string Model, double Accuracy, Misbehaviour Misbehaviour = Misbehaviour.None);

/// <summary>
/// An OpenAI-compatible judge server on loopback that answers from known labels: it recognises each case by its rendered
/// prompt and replies with the true first error step (typed computational_error) or, with the judge's seeded noise, a
/// wrong one drawn uniformly from the solution's other steps or −1. Draws hash (model, case), so they do not depend on
/// request order, retries or resumption, and judges' errors are independent.
/// </summary>
public sealed class JudgeServer : IAsyncDisposable
{
    readonly WebApplication _app;
    readonly Dictionary<string, JudgeCase> _byPrompt;
    readonly Dictionary<string, int> _truth;
    readonly Dictionary<string, ScriptedJudge> _judges;
    readonly ConcurrentDictionary<(string, string), int> _attempts = new();
    int _requests;
    public Uri Url { get; private set; } = null!;
    public int Requests => Volatile.Read(ref _requests);
    public TimeSpan SlowDelay { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan Latency { get; init; } = TimeSpan.Zero;

    JudgeServer(WebApplication app, IEnumerable<(JudgeCase Case, int Truth)> cases, IEnumerable<ScriptedJudge> judges)
    {
        _app = app;
        var list = cases.ToList();
        _byPrompt = list.ToDictionary(c => JudgePrompt.Render(JudgePrompt.DefaultTemplate, c.Case, Taxonomy.Default), c => c.Case);
        _truth = list.ToDictionary(c => c.Case.ProblemId, c => c.Truth);
        _judges = judges.ToDictionary(j => j.Model);
    }

    public static async Task<JudgeServer> StartAsync(IEnumerable<(JudgeCase Case, int Truth)> cases, IEnumerable<ScriptedJudge> judges, TimeSpan? latency = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new JudgeServer(app, cases, judges) { Latency = latency ?? TimeSpan.Zero };
        app.MapPost("/v1/chat/completions", server.Handle);
        await app.StartAsync();
        server.Url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/v1");
        return server;
    }

    /// <summary>A judge spec pointing at this server.</summary>
    public JudgeSpec Spec(string model, TimeSpan? timeout = null, int concurrency = 16) =>
        new(model, JudgeKind.Endpoint, Url, model, null, null, 0, JudgePrompt.DefaultTemplate, concurrency, timeout ?? TimeSpan.FromSeconds(30), 3, 2, 256);

    /// <summary>The seeded draw: the true step with the judge's accuracy, else a wrong one.</summary>
    public static int Answer(ScriptedJudge judge, string caseId, int truth, int numSteps)
    {
        var u = Unit($"{judge.Model}|{caseId}|right");
        if (u < judge.Accuracy) return truth;
        var wrong = Enumerable.Range(-1, numSteps + 1).Where(s => s != truth).ToList();
        return wrong[(int)(Unit($"{judge.Model}|{caseId}|wrong") * wrong.Count)];
    }

    static double Unit(string key)
    {
        ulong h = 14695981039346656037UL;
        foreach (var ch in key) { h ^= ch; h *= 1099511628211UL; }
        h ^= h >> 33; h *= 0xff51afd7ed558ccdUL; h ^= h >> 33; // FNV alone is poorly mixed in its high bits
        return (h >> 11) / (double)(1UL << 53);
    }

    async Task Handle(HttpContext ctx)
    {
        Interlocked.Increment(ref _requests);
        using var doc = await JsonDocument.ParseAsync(ctx.Request.Body);
        var model = doc.RootElement.GetProperty("model").GetString()!;
        var prompt = doc.RootElement.GetProperty("messages")[0].GetProperty("content").GetString()!;
        if (!_judges.TryGetValue(model, out var judge) || !_byPrompt.TryGetValue(prompt, out var c))
        {
            ctx.Response.StatusCode = 404;
            await ctx.Response.WriteAsJsonAsync(new { error = new { message = "unknown model or case" } });
            return;
        }
        if (Latency > TimeSpan.Zero) await Task.Delay(Latency);
        var attempt = _attempts.AddOrUpdate((model, c.ProblemId), 1, (_, n) => n + 1);
        var first = attempt == 1;
        switch (judge.Misbehaviour)
        {
            case Misbehaviour.ServerErrorFirst when first:
                ctx.Response.StatusCode = 503;
                await ctx.Response.WriteAsJsonAsync(new { error = new { message = "overloaded" } });
                return;
            case Misbehaviour.SlowFirst when first:
                try { await Task.Delay(SlowDelay, ctx.RequestAborted); } catch (OperationCanceledException) { return; }
                break;
        }
        var step = Answer(judge, c.ProblemId, _truth[c.ProblemId], c.Steps.Count);
        var content = judge.Misbehaviour switch
        {
            Misbehaviour.MalformedFirst when first => "Let me think. The first error is in step 2",
            Misbehaviour.AlwaysMalformed => "{\"first_error_step\": ",
            Misbehaviour.UnknownType => """{"first_error_step": 0, "error_type": "arithmetic_slip", "reason": "x"}""",
            Misbehaviour.PastTheEnd => $$"""{"first_error_step": {{c.Steps.Count + 3}}, "error_type": "computational_error", "reason": "x"}""",
            _ => JsonSerializer.Serialize(new { first_error_step = step, error_type = step < 0 ? null : "computational_error", reason = $"{model} on {c.ProblemId}" }),
        };
        await ctx.Response.WriteAsJsonAsync(new
        {
            choices = new[] { new { index = 0, message = new { role = "assistant", content }, finish_reason = "stop" } },
            usage = new { prompt_tokens = prompt.Length / 4, completion_tokens = content.Length / 4 },
        });
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
