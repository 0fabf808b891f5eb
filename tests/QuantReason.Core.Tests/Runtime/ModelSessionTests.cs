using QuantReason.Runtime;
using QuantReason.Tests.Cli;

namespace QuantReason.Tests.Runtime;

public sealed class ModelSessionTests(CliFixture fx) : IClassFixture<CliFixture>
{
    [SharedFact]
    public async Task Streamed_pieces_concatenate_to_the_result_text_with_and_without_stops()
    {
        using var session = ModelSession.Load(fx.Dir, maxBatch: 2);
        var ids = session.EncodeCompletion("the answer is");
        var free = await session.CompleteAsync(new TextRequest(ids, 24, new SamplingOptions(), 0, []));
        foreach (var stops in new[] { Array.Empty<string>(), [free.Text.Substring(5, 2)] })
        {
            var pieces = new List<string>();
            var result = await session.CompleteAsync(new TextRequest(ids, 24, new SamplingOptions(), 0, stops), pieces.Add);
            Assert.Equal(result.Text, string.Concat(pieces));
            Assert.Equal(stops.Length == 0 ? free.Text : free.Text[..free.Text.IndexOf(stops[0], StringComparison.Ordinal)], result.Text);
        }
    }

    [SharedFact]
    public void The_session_is_named_after_its_directory_and_refuses_a_tokenizer_larger_than_the_model()
    {
        using var session = ModelSession.Load(fx.Dir);
        Assert.Equal(Path.GetFileName(fx.Dir), session.Name);
        Assert.Equal(0, session.Queue.Batches);
    }
}
