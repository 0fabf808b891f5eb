using System.Diagnostics;

namespace QuantReason.Tests.Cli;

/// <summary>The CLI as a child process (`dotnet quantreason.dll ARGS` from the test's output folder), for tests that need
/// a second process or one they can kill.</summary>
static class CliProcess
{
    public static Process Start(params string[] args)
    {
        var dll = Path.Combine(Path.GetDirectoryName(typeof(QuantReason.Cli.Commands).Assembly.Location)!, "quantreason.dll");
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h
            : Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        return Process.Start(start)!;
    }
}
