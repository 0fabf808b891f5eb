using System.CommandLine;

namespace QuantReason.Cli;

/// <summary>
/// Output and error handling shared by every verb. Writers are per async flow, so tests can run commands in parallel and
/// read what each printed.
/// </summary>
public static class Cli
{
    static readonly AsyncLocal<TextWriter?> _out = new(), _err = new();
    public static TextWriter Out => _out.Value ?? Console.Out;
    public static TextWriter Err => _err.Value ?? Console.Error;

    public static readonly Option<bool> Verbose = new("--verbose") { Description = "Print stack traces with errors", Recursive = true };
    public static readonly Option<int?> Threads = new("--threads") { Description = "Threads for kernels (default: all cores, or $QUANTREASON_THREADS)", Recursive = true };

    internal static void Redirect(TextWriter? output, TextWriter? error)
    {
        _out.Value = output;
        _err.Value = error;
    }

    /// <summary>Runs a verb's body: user-facing failures print one line and exit 1; stack traces only with --verbose.</summary>
    public static int Guard(ParseResult parse, Func<int> body)
    {
        try
        {
            using var threads = parse.GetValue(Threads) is int t ? Kernels.KernelThreads.Use(t) : default;
            return body();
        }
        catch (QuantReasonException e)
        {
            Err.WriteLine($"error: {e.Message}");
            if (parse.GetValue(Verbose)) Err.WriteLine(e);
            return 1;
        }
        catch (OperationCanceledException)
        {
            Err.WriteLine("cancelled");
            return 130;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Err.WriteLine($"error: {e.Message}");
            if (parse.GetValue(Verbose)) Err.WriteLine(e);
            return 1;
        }
    }
}
