using QuantReason.Evaluation.Prompts;
using QuantReason.Evaluation.Runs;
using ModelSession = QuantReason.Runtime.ModelSession;
using QuantReason.Tests.Cli;

namespace QuantReason.Tests.Evaluation.Runs;

public sealed class RuntimeTextGeneratorTests(CliFixture fx) : IClassFixture<CliFixture>
{
    [SharedFact]
    public async Task A_chat_request_is_rendered_with_the_template_and_recorded_as_rendered()
    {
        using var session = ModelSession.Load(fx.Dir);
        var g = new RuntimeTextGenerator(session);
        var request = new GenerationRequest("plain", 8, 0, 1, 0, 0) { Messages = [new ChatMessage("system", "S"), new ChatMessage("user", "U")] };
        var chat = await g.GenerateAsync(request, default);
        Assert.Equal(session.RenderChat([QuantReason.Tokenizers.ChatMessage.System("S"), QuantReason.Tokenizers.ChatMessage.User("U")]), chat.RenderedPrompt);
        Assert.Equal(session.EncodeChat(chat.RenderedPrompt!).Length, chat.TokensIn);

        var completion = await g.GenerateAsync(new GenerationRequest("Q: 1+1?\nA:", 8, 0, 1, 0, 0), default);
        Assert.Null(completion.RenderedPrompt);
        Assert.Equal(session.EncodeCompletion("Q: 1+1?\nA:").Length, completion.TokensIn);
    }

    [SharedFact]
    public async Task A_stop_string_cuts_the_output_before_it_and_reports_stop()
    {
        using var session = ModelSession.Load(fx.Dir);
        var g = new RuntimeTextGenerator(session);
        var free = await g.GenerateAsync(new GenerationRequest("on the", 20, 0, 1, 0, 0), default);
        Assert.Equal(FinishReason.Length, free.FinishReason);
        // A random model emits partial UTF-8 too; stop on the first ASCII pair after the start.
        int at = Enumerable.Range(2, free.Output.Length - 3).First(i => free.Output[i] is > ' ' and < '\x7f' && free.Output[i + 1] is > ' ' and < '\x7f');
        var stop = free.Output.Substring(at, 2);
        var cut = await g.GenerateAsync(new GenerationRequest("on the", 20, 0, 1, 0, 0) { Stop = [stop] }, default);
        Assert.Equal((FinishReason.Stop, free.Output[..free.Output.IndexOf(stop, StringComparison.Ordinal)]), (cut.FinishReason, cut.Output));
    }
}
