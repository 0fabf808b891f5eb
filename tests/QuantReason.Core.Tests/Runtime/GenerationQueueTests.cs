using QuantReason.Runtime;
using QuantReason.Tests.Cli;

namespace QuantReason.Tests.Runtime;

/// <summary>The queue against one-at-a-time generation on a fixture model: batching must never change a result.</summary>
public sealed class GenerationQueueTests(CliFixture fx) : IClassFixture<CliFixture>
{
    static readonly int[][] Prompts = [[5, 17, 99], [42], [7, 8, 9, 10, 11, 12], [300, 1, 2], [64, 65]];

    static GenerationOptions Options(float temperature, ulong seed) => new()
    {
        MaxNewTokens = 10, Sampling = new SamplingOptions(temperature, 0, 1f), Seed = seed, VocabLimit = 302,
    };

    [SharedTheory]
    [InlineData(0f)]
    [InlineData(0.8f)]
    public async Task Concurrent_requests_give_what_each_gives_alone(float temperature)
    {
        var model = Model.Load(fx.Dir);
        var alone = Prompts.Select((p, i) => new Generator(model.Transformer).Generate([p], Options(temperature, (ulong)(100 + i)))[0].Tokens).ToList();
        using var queue = new GenerationQueue(new Generator(model.Transformer), model.Config.MaxPositionEmbeddings, maxBatch: 4,
            gatherWindow: TimeSpan.FromMilliseconds(50));
        var together = await Task.WhenAll(Prompts.Select((p, i) => queue.EnqueueAsync(p, Options(temperature, (ulong)(100 + i)))));
        Assert.Equal(alone, together.Select(r => r.Tokens));
        Assert.True(queue.Batches < Prompts.Length, $"{queue.Batches} batches for {Prompts.Length} requests: nothing was batched");
    }

    [SharedFact]
    public async Task Requests_with_other_settings_run_in_their_own_batch()
    {
        var model = Model.Load(fx.Dir);
        using var queue = new GenerationQueue(new Generator(model.Transformer), model.Config.MaxPositionEmbeddings, 8, TimeSpan.FromMilliseconds(50));
        var a = queue.EnqueueAsync(Prompts[0], Options(0, 1));
        var b = queue.EnqueueAsync(Prompts[1], Options(0, 1) with { MaxNewTokens = 3 });
        var results = await Task.WhenAll(a, b);
        Assert.Equal((10, 3), (results[0].Tokens.Length, results[1].Tokens.Length));
        Assert.Equal(2, queue.Batches);
    }

    [SharedFact]
    public async Task A_cancelled_request_returns_at_once_and_its_neighbours_finish()
    {
        var model = Model.Load(fx.Dir);
        using var queue = new GenerationQueue(new Generator(model.Transformer), model.Config.MaxPositionEmbeddings, 4, TimeSpan.FromMilliseconds(50));
        using var cts = new CancellationTokenSource();
        var cancelled = queue.EnqueueAsync(Prompts[0], Options(0, 1) with { MaxNewTokens = 200 }, onToken: _ => cts.Cancel(), cancel: cts.Token);
        var kept = queue.EnqueueAsync(Prompts[1], Options(0, 1) with { MaxNewTokens = 200 });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        var alone = new Generator(model.Transformer).Generate([Prompts[1]], Options(0, 1) with { MaxNewTokens = 200 })[0];
        Assert.Equal(alone.Tokens, (await kept).Tokens);
    }

    [SharedFact]
    public void Bad_requests_fail_alone_before_joining_a_batch()
    {
        var model = Model.Load(fx.Dir);
        using var queue = new GenerationQueue(new Generator(model.Transformer), model.Config.MaxPositionEmbeddings, 4);
        Assert.Throws<QuantReasonException>(() => { _ = queue.EnqueueAsync([], Options(0, 1)); });
        var e = Assert.Throws<QuantReasonException>(() => { _ = queue.EnqueueAsync(new int[model.Config.MaxPositionEmbeddings + 1], Options(0, 1)); });
        Assert.Contains("context", e.Message);
        Assert.Throws<QuantReasonException>(() => { _ = queue.EnqueueAsync([1], Options(-1, 1)); });
    }
}
