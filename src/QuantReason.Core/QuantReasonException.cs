namespace QuantReason;

/// <summary>
/// The one error type for failures a user can act on: bad paths, malformed checkpoints, corrupt lines, unsupported
/// settings. <see cref="Where"/> names the file, line, tensor or layer so the CLI can print a single useful line.
/// </summary>
public sealed class QuantReasonException : Exception
{
    public string? Where { get; }

    public QuantReasonException(string message, string? where = null, Exception? inner = null)
        : base(where is null ? message : $"{where}: {message}", inner)
    {
        Where = where;
    }

    /// <summary>
    /// Input quoted in a message, cut to <paramref name="max"/> characters with line breaks shown as \n: an error line
    /// names the offending value, it must not echo a 4 KB header or a whole request.
    /// </summary>
    public static string Quote(string? text, int max = 80)
    {
        if (text is null) return "";
        var cut = text.Length <= max ? text : text[..max];
        cut = cut.Replace("\r", "\\r").Replace("\n", "\\n");
        return text.Length <= max ? cut : $"{cut}… ({text.Length} characters)";
    }
}
