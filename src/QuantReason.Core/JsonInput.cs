using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Text.Unicode;

namespace QuantReason;

/// <summary>
/// How untrusted JSON bytes (checkpoint headers, config and tokenizer files, request bodies) become a document. UTF-8 is
/// checked first: the parser lets invalid bytes inside strings through, and reading such a string later fails with a raw
/// exception far from the file. A syntax error becomes one short line naming line and byte, never echoing the input.
/// </summary>
public static partial class JsonInput
{
    /// <summary>Hugging Face files are written by many tools: trailing commas and comments occur.</summary>
    public static readonly JsonDocumentOptions Lenient = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
        MaxDepth = 256,
    };

    /// <summary>Parses <paramref name="utf8"/>; <paramref name="what"/> ("safetensors header") prefixes the error.</summary>
    public static JsonDocument Parse(ReadOnlyMemory<byte> utf8, string where, string? what = null, JsonDocumentOptions? options = null)
    {
        var prefix = what is null ? "" : what + ": ";
        if (FirstInvalidUtf8(utf8.Span) is int at)
            throw new QuantReasonException($"{prefix}invalid UTF-8 at byte {at}", $"{where}:{LineOf(utf8.Span, at)}");
        try { return JsonDocument.Parse(utf8, options ?? Lenient); }
        catch (JsonException e) { throw new QuantReasonException($"{prefix}{Describe(e)}", $"{where}:{(e.LineNumber ?? 0) + 1}"); }
    }

    /// <summary>"malformed JSON at byte B of the line: reason", with quoted input cut short and the parser's path left out.</summary>
    public static string Describe(JsonException e)
    {
        var reason = e.Message;
        foreach (var tail in new[] { " LineNumber:", " Path:" })
            if (reason.IndexOf(tail, StringComparison.Ordinal) is var i and >= 0) reason = reason[..i];
        reason = Quoted().Replace(reason, m => "'" + QuantReasonException.Quote(m.Groups[1].Value, 24) + "'");
        reason = QuantReasonException.Quote(reason, 200);
        var at = e.BytePositionInLine is { } b ? $" at byte {b + 1} of the line" : "";
        return $"malformed JSON{at}: {reason.TrimEnd('.', ' ')}";
    }

    /// <summary>The offset of the first byte that is not well-formed UTF-8, or null when all is.</summary>
    public static int? FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        if (Utf8.IsValid(bytes)) return null;
        for (int at = 0; at < bytes.Length;)
        {
            if (Rune.DecodeFromUtf8(bytes[at..], out _, out var used) != System.Buffers.OperationStatus.Done) return at;
            at += used;
        }
        return null;
    }

    static int LineOf(ReadOnlySpan<byte> bytes, int at) => bytes[..at].Count((byte)'\n') + 1;

    [GeneratedRegex("'([^']*)'")]
    private static partial Regex Quoted();
}
