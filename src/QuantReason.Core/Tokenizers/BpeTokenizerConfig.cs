namespace QuantReason.Tokenizers;

/// <summary>
/// Everything a <see cref="BpeTokenizer"/> needs, filled in by one of the loaders (tokenizer.json, tokenizer.model,
/// GGUF). Byte-level BPE (GPT-2, Llama 3, Qwen) sets <see cref="ByteLevel"/>; SentencePiece BPE (Llama 2, Phi-3)
/// sets <see cref="ByteFallback"/> and <see cref="Metaspace"/> with a normalizer that writes spaces as ▁.
/// </summary>
public sealed record BpeTokenizerConfig
{
    public required Vocabulary Vocabulary { get; init; }
    public required MergeTable Merges { get; init; }
    /// <summary>Pieces are UTF-8 bytes written with GPT-2's byte↔unicode map before merging.</summary>
    public bool ByteLevel { get; init; }
    /// <summary>Characters missing from the vocabulary become their UTF-8 bytes as &lt;0xNN&gt; tokens.</summary>
    public bool ByteFallback { get; init; }
    /// <summary>A piece found whole in the vocabulary is emitted without merging (Llama 3's ignore_merges).</summary>
    public bool IgnoreMerges { get; init; }
    /// <summary>Consecutive unknown symbols collapse into one unknown token (HF fuse_unk).</summary>
    public bool FuseUnknown { get; init; }
    public Normalizer Normalizer { get; init; } = Normalizer.None;
    public PreTokenizer PreTokenizer { get; init; } = PreTokenizer.None;
    public IReadOnlyList<AddedToken> AddedTokens { get; init; } = [];
    public int? UnknownId { get; init; }
    public int? BosId { get; init; }
    public IReadOnlyList<int> EosIds { get; init; } = [];
    public int? PadId { get; init; }
    public bool AddBos { get; init; }
    public bool AddEos { get; init; }
    /// <summary>The whitespace marker of SentencePiece-style vocabularies (▁): decoded as a space.</summary>
    public char? Metaspace { get; init; }
    /// <summary>Decoding drops one leading space (the dummy prefix encoding added).</summary>
    public bool DecodeStripsLeadingSpace { get; init; }
    public string? ChatTemplate { get; init; }
    /// <summary>Where the configuration came from, for error messages.</summary>
    public string Source { get; init; } = "tokenizer";
}
