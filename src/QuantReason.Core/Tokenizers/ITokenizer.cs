namespace QuantReason.Tokenizers;

/// <summary>
/// Text ↔ token ids for one model vocabulary. Every loader (tokenizer.json, tokenizer.model, GGUF) produces one of these.
/// </summary>
public interface ITokenizer
{
    int VocabSize { get; }
    int? BosId { get; }
    IReadOnlyList<int> EosIds { get; }
    int? PadId { get; }
    int? UnknownId { get; }

    /// <summary>Whether <see cref="Encode(string,bool)"/> with addSpecialTokens prepends BOS / appends EOS.</summary>
    bool AddBos { get; }
    bool AddEos { get; }

    /// <summary>The tokenizer's own chat template (Jinja source) if the files carried one.</summary>
    string? ChatTemplateSource { get; }

    /// <summary>
    /// Encodes text; added/special tokens written literally in the text are recognised first (as Hugging Face does).
    /// addSpecialTokens adds BOS/EOS as the tokenizer's configuration asks.
    /// </summary>
    int[] Encode(string text, bool addSpecialTokens);

    /// <summary>As <see cref="Encode(string,bool)"/>; parseSpecialTokens=false treats control tokens in the text as plain text.</summary>
    int[] Encode(string text, bool addSpecialTokens, bool parseSpecialTokens);

    string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens);

    /// <summary>The vocabulary entry as stored (e.g. "Ġthe", "▁the", "&lt;0x0A&gt;"), or null for an id out of range.</summary>
    string? TokenToString(int id);

    int? TokenToId(string token);

    TokenType GetTokenType(int id);

    /// <summary>The bytes this token contributes to decoded text (empty for control tokens when skipped by callers).</summary>
    ReadOnlySpan<byte> TokenBytes(int id);

    /// <summary>Whether decoding drops one leading space that encoding added (SentencePiece's dummy prefix).</summary>
    bool DecodeStripsLeadingSpace { get; }

    /// <summary>Special tokens are control tokens, the unknown token and added tokens marked special.</summary>
    bool IsSpecial(int id);
}
