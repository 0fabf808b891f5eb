using QuantReason.Evaluation.Runs;
using ModelSession = QuantReason.Runtime.ModelSession;
using QuantReason.Tests.Cli;
using QuantReason.Data.Prompts;

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

    [Fact]
    public async Task A_stop_string_cuts_the_output_before_it_and_reports_stop()
    {
        // The embedded StepMath model answers "25+79" with fixed text, so the stop string does not depend on what a
        // random model happens to emit.
        using var session = ModelSession.Load(RepoFiles.PathOf("data", "models", "stepmath-ref"));
        var g = new RuntimeTextGenerator(session);
        var free = await g.GenerateAsync(new GenerationRequest("25+79", 20, 0, 1, 0, 0), default);
        const string stop = "=1";
        Assert.Contains(stop, free.Output);
        var cut = await g.GenerateAsync(new GenerationRequest("25+79", 20, 0, 1, 0, 0) { Stop = [stop] }, default);
        Assert.Equal((FinishReason.Stop, free.Output[..free.Output.IndexOf(stop, StringComparison.Ordinal)]), (cut.FinishReason, cut.Output));
    }
}
