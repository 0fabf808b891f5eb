namespace QuantReason.Serving;

/// <summary>
/// A request the server refuses, with the HTTP status and OpenAI's error body fields; the handler turns it into
/// <c>{"error": {"message", "type", "param", "code"}}</c> instead of letting it reach the host.
/// </summary>
public sealed class ApiError(int status, string message, string? param = null, string? code = null) : Exception(message)
{
    public int Status { get; } = status;
    public string? Param { get; } = param;
    public string? Code { get; } = code;
    public string Type => Status switch
    {
        404 => "not_found_error",
        >= 500 => "server_error",
        _ => "invalid_request_error",
    };

    public object Body() => new { error = new { message = Message, type = Type, param = Param, code = Code } };
}
