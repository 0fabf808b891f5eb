using QuantReason.Cli;

namespace QuantReason.Tests.Cli;

/// <summary>Runs the CLI in-process with its output captured: exit code, stdout, stderr.</summary>
static class CliRun
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = Commands.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }
}
