namespace QuantReason.Tokenizers;

/// <summary>sentencepiece TrainerSpec.ModelType.</summary>
public enum SentencePieceModelType { Unigram = 1, Bpe = 2, Word = 3, Char = 4 }

/// <summary>One vocabulary entry of a sentencepiece model.</summary>
public sealed record SentencePiece(string Piece, float Score, TokenType Type);

/// <summary>
/// The parts of sentencepiece's ModelProto (<c>tokenizer.model</c>) a BPE tokenizer needs: pieces (field 1: piece=1,
/// score=2, type=3), TrainerSpec (field 2: model_type=3, byte_fallback=35, unk/bos/eos/pad ids 40–43) and
/// NormalizerSpec (field 3: name=1, precompiled_charsmap=2, add_dummy_prefix=3, remove_extra_whitespaces=4,
/// escape_whitespaces=5). Defaults are the proto's declared defaults.
/// </summary>
public sealed record SentencePieceModel
{
    public required IReadOnlyList<SentencePiece> Pieces { get; init; }
    public SentencePieceModelType ModelType { get; init; } = SentencePieceModelType.Unigram;
    public bool ByteFallback { get; init; }
    public int UnkId { get; init; } = 0;
    public int BosId { get; init; } = 1;
    public int EosId { get; init; } = 2;
    public int PadId { get; init; } = -1;
    public string NormalizerName { get; init; } = "nmt_nfkc";
    public bool HasPrecompiledCharsMap { get; init; }
    public bool AddDummyPrefix { get; init; } = true;
    public bool RemoveExtraWhitespaces { get; init; } = true;
    public bool EscapeWhitespaces { get; init; } = true;
    public bool TreatWhitespaceAsSuffix { get; init; }

    public static SentencePieceModel Load(string path)
    {
        if (!File.Exists(path)) throw new QuantReasonException("SentencePiece model file not found", path);
        return Parse(File.ReadAllBytes(path), path);
    }

    public static SentencePieceModel Parse(ReadOnlySpan<byte> data, string where)
    {
        var pieces = new List<SentencePiece>();
        var model = new SentencePieceModel { Pieces = pieces };
        var r = new ProtobufReader(data, where);
        while (!r.End)
        {
            var (field, wire) = r.ReadKey();
            switch (field)
            {
                case 1:
                    r.Expect(2, wire, field);
                    pieces.Add(ParsePiece(r.ReadBytes(out var off), where, off));
                    break;
                case 2:
                    r.Expect(2, wire, field);
                    model = ParseTrainerSpec(r.ReadBytes(out var toff), where, toff, model);
                    break;
                case 3:
                    r.Expect(2, wire, field);
                    model = ParseNormalizerSpec(r.ReadBytes(out var noff), where, noff, model);
                    break;
                default:
                    r.Skip(wire);
                    break;
            }
        }
        if (pieces.Count == 0) throw new QuantReasonException("SentencePiece model has no pieces (not a ModelProto?)", where);
        return model;
    }

    static SentencePiece ParsePiece(ReadOnlySpan<byte> data, string where, int offset)
    {
        var r = new ProtobufReader(data, where, offset);
        string? piece = null;
        float score = 0;
        var type = TokenType.Normal;
        while (!r.End)
        {
            var (field, wire) = r.ReadKey();
            switch (field)
            {
                case 1: r.Expect(2, wire, field); piece = r.ReadString(); break;
                case 2: r.Expect(5, wire, field); score = r.ReadFloat(); break;
                case 3:
                    r.Expect(0, wire, field);
                    var t = (int)r.ReadVarint();
                    if (t is < 1 or > 6) throw new QuantReasonException($"corrupt protobuf: piece type {t} at byte {r.Offset}", where);
                    type = (TokenType)t;
                    break;
                default: r.Skip(wire); break;
            }
        }
        return new SentencePiece(piece ?? throw new QuantReasonException($"corrupt protobuf: piece without text at byte {offset}", where), score, type);
    }

    static SentencePieceModel ParseTrainerSpec(ReadOnlySpan<byte> data, string where, int offset, SentencePieceModel m)
    {
        var r = new ProtobufReader(data, where, offset);
        while (!r.End)
        {
            var (field, wire) = r.ReadKey();
            switch (field)
            {
                case 3: r.Expect(0, wire, field); m = m with { ModelType = (SentencePieceModelType)(int)r.ReadVarint() }; break;
                case 24: r.Expect(0, wire, field); m = m with { TreatWhitespaceAsSuffix = r.ReadVarint() != 0 }; break;
                case 35: r.Expect(0, wire, field); m = m with { ByteFallback = r.ReadVarint() != 0 }; break;
                case 40: r.Expect(0, wire, field); m = m with { UnkId = (int)r.ReadVarint() }; break;
                case 41: r.Expect(0, wire, field); m = m with { BosId = (int)r.ReadVarint() }; break;
                case 42: r.Expect(0, wire, field); m = m with { EosId = (int)r.ReadVarint() }; break;
                case 43: r.Expect(0, wire, field); m = m with { PadId = (int)r.ReadVarint() }; break;
                default: r.Skip(wire); break;
            }
        }
        return m;
    }

    static SentencePieceModel ParseNormalizerSpec(ReadOnlySpan<byte> data, string where, int offset, SentencePieceModel m)
    {
        var r = new ProtobufReader(data, where, offset);
        while (!r.End)
        {
            var (field, wire) = r.ReadKey();
            switch (field)
            {
                case 1: r.Expect(2, wire, field); m = m with { NormalizerName = r.ReadString() }; break;
                case 2: r.Expect(2, wire, field); m = m with { HasPrecompiledCharsMap = r.ReadBytes(out _).Length > 0 }; break;
                case 3: r.Expect(0, wire, field); m = m with { AddDummyPrefix = r.ReadVarint() != 0 }; break;
                case 4: r.Expect(0, wire, field); m = m with { RemoveExtraWhitespaces = r.ReadVarint() != 0 }; break;
                case 5: r.Expect(0, wire, field); m = m with { EscapeWhitespaces = r.ReadVarint() != 0 }; break;
                default: r.Skip(wire); break;
            }
        }
        return m;
    }

    /// <summary>
    /// A tokenizer for a BPE model. Only the identity normalizer is exact; a model that needs sentencepiece's
    /// precompiled NFKC tables (nmt_nfkc) is refused rather than tokenized approximately.
    /// </summary>
    public BpeTokenizer ToTokenizer(string where)
    {
        if (ModelType != SentencePieceModelType.Bpe)
            throw new QuantReasonException($"SentencePiece model type {ModelType} is not supported (only BPE)", where);
        if (NormalizerName != "identity" && HasPrecompiledCharsMap)
            throw new QuantReasonException(
                $"SentencePiece normalizer '{NormalizerName}' uses a precompiled character map, which is not supported (only 'identity')", where);
        if (TreatWhitespaceAsSuffix)
            throw new QuantReasonException("SentencePiece treat_whitespace_as_suffix is not supported", where);

        var tokens = Pieces.Select(p => p.Piece).ToArray();
        var types = Pieces.Select(p => p.Type).ToArray();
        var vocab = new Vocabulary(tokens, types, where);
        var steps = new List<NormalizerStep>();
        if (RemoveExtraWhitespaces) steps.Add(new CollapseSpacesStep());
        if (AddDummyPrefix) steps.Add(new PrependStep(EscapeWhitespaces ? "▁" : " "));
        if (EscapeWhitespaces) steps.Add(new ReplaceStep(" ", "▁"));
        int? Valid(int id) => id >= 0 && id < tokens.Length ? id : null;
        var added = Enumerable.Range(0, tokens.Length)
            .Where(i => types[i] is TokenType.Control or TokenType.UserDefined or TokenType.Unknown)
            .Select(i => new AddedToken(i, tokens[i], Special: types[i] != TokenType.UserDefined))
            .ToList();
        return new BpeTokenizer(new BpeTokenizerConfig
        {
            Vocabulary = vocab,
            Merges = MergeTable.FromScores(vocab, Pieces.Select(p => p.Score).ToArray()),
            ByteFallback = ByteFallback,
            Normalizer = new Normalizer(steps),
            AddedTokens = added,
            UnknownId = Valid(UnkId),
            BosId = Valid(BosId),
            EosIds = Valid(EosId) is { } e ? [e] : [],
            PadId = Valid(PadId),
            AddBos = true,
            Metaspace = EscapeWhitespaces ? '▁' : null,
            DecodeStripsLeadingSpace = AddDummyPrefix,
            Source = where,
        });
    }
}
