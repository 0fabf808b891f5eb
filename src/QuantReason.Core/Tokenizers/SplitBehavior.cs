namespace QuantReason.Tokenizers;

/// <summary>What a splitting pre-tokenizer does with the matched delimiters (Hugging Face's SplitDelimiterBehavior).</summary>
public enum SplitBehavior
{
    /// <summary>Matches and the text between them each become pieces (llama.cpp's regex split).</summary>
    Isolated,
    Removed,
    MergedWithPrevious,
    MergedWithNext,
    Contiguous,
}
