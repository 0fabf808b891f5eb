using QuantReason.Runtime;

namespace QuantReason.Serving;

/// <summary>
/// What one request may cost, checked before any work that grows with it. A prompt of more than
/// <see cref="MaxPromptChars"/> characters cannot fit the context (no token covers more characters than the longest
/// vocabulary entry), so it is refused before tokenizing; a body of more than <see cref="MaxBodyBytes"/> could not
/// carry an acceptable prompt (JSON writes a character in at most 6 bytes), so it is refused before reading.
/// </summary>
public sealed record ServerLimits(long MaxBodyBytes, int MaxPromptChars)
{
    /// <summary>A refused body up to this size is read and dropped, so a client that sends before it reads gets its 413;
    /// past it the connection is closed. Dropping costs a fixed buffer, not memory that grows with the body.</summary>
    public long DrainCeiling { get; init; } = 64 << 20;

    /// <summary>Room in a body for everything besides the prompt: the other fields, chat roles, whitespace.</summary>
    public const long Overhead = 64 << 10;
    /// <summary>No body beyond this, whatever the model: a buffered body and its parsed document both live in memory.</summary>
    public const long MaxBodyCeiling = 16 << 20;

    public static ServerLimits For(ModelSession session)
    {
        var tokenizer = session.Tokenizer;
        int longest = 1;
        for (int id = 0; id < tokenizer.VocabSize; id++)
            longest = Math.Max(longest, tokenizer.TokenToString(id)?.Length ?? 0);
        long chars = Math.Min(int.MaxValue, (long)session.Model.Config.MaxPositionEmbeddings * longest);
        return new ServerLimits(Math.Min(MaxBodyCeiling, Overhead + 6 * chars), (int)chars);
    }

    public void Validate()
    {
        if (MaxBodyBytes <= 0) throw new QuantReasonException($"the body limit must be positive, got {MaxBodyBytes}");
        if (MaxPromptChars <= 0) throw new QuantReasonException($"the prompt limit must be positive, got {MaxPromptChars}");
    }
}
