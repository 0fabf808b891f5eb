using QuantReason.Cli;

namespace QuantReason.Tests.Cli;

public sealed class ServeCommandTests(CliFixture fx) : IClassFixture<CliFixture>
{
    static (int Code, string Err) Run(params string[] args)
    {
        var e = new StringWriter();
        return (Commands.Run(args, new StringWriter(), e), e.ToString());
    }

    [SharedFact]
    public void A_bad_host_or_port_is_one_clear_line()
    {
        var host = Run("serve", "--model", fx.Dir, "--host", "not a host");
        Assert.Equal(1, host.Code);
        Assert.Equal("error: --host: --host must be an IP address or localhost, got 'not a host'", host.Err.TrimEnd());
        var port = Run("serve", "--model", fx.Dir, "--port", "70000");
        Assert.Equal(1, port.Code);
        Assert.Contains("--port must be in 0..65535", port.Err);
    }

    [Fact]
    public void A_missing_model_is_one_clear_line()
    {
        var (code, err) = Run("serve", "--model", "/nonexistent/model");
        Assert.Equal(1, code);
        Assert.StartsWith("error:", err);
        Assert.Single(err.TrimEnd().Split('\n'));
    }

    [SharedFact]
    public void Serve_bench_prints_json_with_the_measures()
    {
        var o = new StringWriter();
        var code = Commands.Run(["serve-bench", "--model", fx.Dir, "--requests", "24", "--concurrency", "4", "--max-tokens", "4", "--json"], o, new StringWriter());
        Assert.Equal(0, code);
        using var doc = System.Text.Json.JsonDocument.Parse(o.ToString());
        foreach (var key in new[] { "requests_per_second", "latency_p50_ms", "latency_p90_ms", "latency_p99_ms", "ratio" })
            Assert.True(doc.RootElement.GetProperty(key).GetDouble() > 0, key);
        Assert.Equal(0, doc.RootElement.GetProperty("errors").GetInt32());
    }
}
