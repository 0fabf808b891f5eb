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
}
