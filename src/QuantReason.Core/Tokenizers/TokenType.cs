namespace QuantReason.Tokenizers;

/// <summary>
/// Token kinds, numbered as SentencePiece's ModelProto.SentencePiece.Type and GGUF's <c>tokenizer.ggml.token_type</c>
/// (both use the same numbering), so loaders copy the values straight through.
/// </summary>
public enum TokenType
{
    Undefined = 0,
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}
