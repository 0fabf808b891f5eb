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
    // a string, so a bad value gets this toolkit's one-line error naming the flag rather than the parser's type message
    public static readonly Option<string?> Threads = new("--threads") { Description = "Threads for kernels (default: all cores, or $QUANTREASON_THREADS)", Recursive = true };

    /// <summary>The most kernel threads a flag may ask for (<see cref="Kernels.KernelThreads.MaxThreads"/>).</summary>
    public static int MaxThreads => Kernels.KernelThreads.MaxThreads;

    /// <summary>A thread count from <paramref name="source"/> (the flag or the environment variable): a whole number in 1..<see cref="MaxThreads"/>.</summary>
    public static int ParseThreads(string text, string source) =>
        int.TryParse(text.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n >= 1 && n <= MaxThreads
            ? n
            : throw new QuantReasonException(
                $"expected a whole number of threads from 1 to {MaxThreads} (this machine has {Environment.ProcessorCount} cores), got '{text}'", source);

    /// <summary>
    /// The kernel thread count from --threads, else $QUANTREASON_THREADS, as a scope the verb runs inside, read before
    /// any verb runs so that every verb (also those with their own error handling) refuses a bad value with one line
    /// instead of running with another count.
    /// </summary>
    internal static bool TryUseThreads(ParseResult parse, out Kernels.KernelThreads.Scope scope)
    {
        scope = default;
        try
        {
            int? n = parse.GetValue(Threads) is { } t ? ParseThreads(t, "--threads")
                : Environment.GetEnvironmentVariable("QUANTREASON_THREADS") is { Length: > 0 } env ? ParseThreads(env, "QUANTREASON_THREADS")
                : null;
            if (n is { } threads) scope = Kernels.KernelThreads.Use(threads);
            return true;
        }
        catch (QuantReasonException e)
        {
            Err.WriteLine($"error: {e.Message}");
            return false;
        }
    }

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
