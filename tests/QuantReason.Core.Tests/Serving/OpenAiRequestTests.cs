using System.Text.Json;
using QuantReason.Serving;

namespace QuantReason.Tests.Serving;

public class OpenAiRequestTests
{
    static OpenAiRequest Parse(string json, bool chat = false) => OpenAiRequest.Parse(JsonDocument.Parse(json).RootElement, chat);

    [Fact]
    public void Defaults_follow_the_openai_api()
    {
        var r = Parse("""{"model": "m", "prompt": "x"}""");
        Assert.Equal((16, 1.0, 1.0, 0, 1, false), (r.MaxTokens!.Value, r.Temperature, r.TopP, r.TopK, r.N, r.Stream));
        Assert.Null(r.Seed);
        Assert.Null(Parse("""{"model": "m", "messages": [{"role": "user", "content": "x"}]}""", chat: true).MaxTokens);
    }

    [Fact]
    public void Chat_content_parts_developer_role_and_stop_forms_are_read()
    {
        var r = Parse("""
            {"model": "m", "max_completion_tokens": 9, "top_k": -1, "stop": "END", "seed": 3,
             "messages": [{"role": "developer", "content": "be brief"},
                          {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}]}
            """, chat: true);
        Assert.Equal(["system:be brief", "user:ab"], r.Messages!.Select(m => $"{m.Role}:{m.Content}"));
        Assert.Equal((9, 0, 3UL), (r.MaxTokens!.Value, r.TopK, r.Seed!.Value));
        Assert.Equal(["END"], r.Stop);
        Assert.Equal(["a", "b"], Parse("""{"model": "m", "prompt": ["p"], "stop": ["a", "b"]}""").Stop);
    }

    [Theory]
    [InlineData("""{"model": "m", "prompt": ["a", "b"]}""", "prompt")]
    [InlineData("""{"model": "m", "prompt": "x", "echo": true}""", "echo")]
    [InlineData("""{"model": "m", "prompt": "x", "logprobs": 2}""", "logprobs")]
    [InlineData("""{"model": "m", "prompt": "x", "top_k": -2}""", "top_k")]
    [InlineData("""{"model": "m", "prompt": "x", "stream": "yes"}""", "stream")]
    [InlineData("""{"model": 3, "prompt": "x"}""", "model")]
    public void Each_bad_parameter_is_named(string json, string param)
    {
        var e = Assert.Throws<ApiError>(() => Parse(json));
        Assert.Equal(400, e.Status);
        Assert.Equal(param, e.Param);
    }
}
