namespace QuantReason.Tokenizers;

/// <summary>
/// A token matched verbatim in the input before pre-tokenization (Hugging Face <c>added_tokens</c>, GGUF control and
/// user-defined tokens). LStrip/RStrip swallow whitespace next to the match, as HF's flags of the same name.
/// </summary>
public sealed record AddedToken(int Id, string Content, bool Special, bool LStrip = false, bool RStrip = false);
