using System.Collections.Concurrent;
using System.Text;

namespace QuantReason.Tokenizers;

/// <summary>
/// BPE tokenizer for both byte-level vocabularies (GPT-2 family) and SentencePiece BPE vocabularies (Llama 2,
/// Phi-3): added tokens are cut out first, each remaining segment is normalized, pre-tokenized and every piece merged
/// with <see cref="BpeMerger"/>. Piece results are cached, so repetitive text costs one dictionary lookup per piece.
/// Thread-safe.
/// </summary>
public sealed class BpeTokenizer : ITokenizer
{
    readonly BpeTokenizerConfig _cfg;
    readonly Vocabulary _vocab;
    readonly AddedTokenMatcher _added;
    readonly HashSet<int> _specialAdded;
    readonly int[] _bmpCharIds;                     // [65536] id of a single-char token, -1 if none
    readonly Dictionary<int, int> _astralCharIds;   // code point → id for astral single-character tokens
    readonly int[] _byteIds;                        // [256] id of <0xNN>, -1 if missing
    readonly byte[][] _tokenBytes;                  // [vocab] decoded bytes of each token
    readonly bool _chunkAtMetaspace;
    readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    const int CacheLimit = 200_000;
    int _cacheSize;

    [ThreadStatic] static Scratch? t_scratch;

    sealed class Scratch
    {
        public readonly BpeMerger Merger = new();
        public readonly List<int> Ids = new();
        public readonly List<int> Runes = new();
        public readonly List<int> Survivors = new();
        public readonly List<int> Piece = new();
    }

    public BpeTokenizer(BpeTokenizerConfig config)
    {
        _cfg = config;
        _vocab = config.Vocabulary;
        foreach (var id in new[] { config.BosId, config.PadId, config.UnknownId }.Concat(config.EosIds.Select(e => (int?)e)))
            if (id is { } v && !_vocab.Contains(v))
                throw new QuantReasonException($"special token id {v} is outside the vocabulary (size {_vocab.Count})", config.Source);
        foreach (var t in config.AddedTokens)
            if (!_vocab.Contains(t.Id))
                throw new QuantReasonException($"added token '{t.Content}' has id {t.Id} outside the vocabulary", config.Source);

        _added = new AddedTokenMatcher(config.AddedTokens);
        _specialAdded = config.AddedTokens.Where(t => t.Special).Select(t => t.Id).ToHashSet();
        var addedIds = config.AddedTokens.Select(t => t.Id).ToHashSet();

        _bmpCharIds = new int[65536];
        Array.Fill(_bmpCharIds, -1);
        _astralCharIds = new Dictionary<int, int>();
        _byteIds = new int[256];
        Array.Fill(_byteIds, -1);
        _tokenBytes = new byte[_vocab.Count][];
        var chunkable = config.Metaspace is not null && !config.ByteLevel && config.PreTokenizer.Steps.All(s => s is MetaspaceStep);
        for (var id = 0; id < _vocab.Count; id++)
        {
            var text = _vocab[id];
            var type = _vocab.TypeOf(id);
            if (type is TokenType.Normal or TokenType.UserDefined or TokenType.Unused && !addedIds.Contains(id))
            {
                if (text.Length == 1 && _bmpCharIds[text[0]] < 0) _bmpCharIds[text[0]] = id;
                else if (text.Length == 2 && char.IsSurrogatePair(text[0], text[1])) _astralCharIds.TryAdd(char.ConvertToUtf32(text[0], text[1]), id);
                if (chunkable && HasMarkerAfterText(text, config.Metaspace!.Value)) chunkable = false;
            }
            if (type == TokenType.Byte && TryParseByteToken(text, out var b) && _byteIds[b] < 0) _byteIds[b] = id;
            _tokenBytes[id] = ComputeTokenBytes(id, text, type, addedIds.Contains(id));
        }
        // With no vocabulary token holding ▁ after other text, merges never cross the start of a ▁-run, so the text can
        // be cut there into independently merged (and cached) chunks with an identical result.
        _chunkAtMetaspace = chunkable;
    }

    static bool HasMarkerAfterText(string token, char marker)
    {
        for (var i = 1; i < token.Length; i++)
            if (token[i] == marker && token[i - 1] != marker) return true;
        return false;
    }

    static bool TryParseByteToken(string text, out byte value)
    {
        value = 0;
        return text.Length == 6 && text.StartsWith("<0x", StringComparison.Ordinal) && text[5] == '>' &&
               byte.TryParse(text.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out value);
    }

    byte[] ComputeTokenBytes(int id, string text, TokenType type, bool added)
    {
        if (type == TokenType.Byte && TryParseByteToken(text, out var b)) return [b];
        if (added || type is TokenType.Control or TokenType.Unknown or TokenType.UserDefined) return Encoding.UTF8.GetBytes(text);
        if (_cfg.ByteLevel)
        {
            var bytes = new List<byte>(text.Length);
            ByteLevelMapping.Decode(text, bytes);
            return bytes.ToArray();
        }
        return Encoding.UTF8.GetBytes(_cfg.Metaspace is { } m ? text.Replace(m, ' ') : text);
    }

    // ---- ITokenizer -----------------------------------------------------------------------------------------------

    public int VocabSize => _vocab.Count;
    public int? BosId => _cfg.BosId;
    public IReadOnlyList<int> EosIds => _cfg.EosIds;
    public int? PadId => _cfg.PadId;
    public int? UnknownId => _cfg.UnknownId;
    public bool AddBos => _cfg.AddBos;
    public bool AddEos => _cfg.AddEos;
    public string? ChatTemplateSource => _cfg.ChatTemplate;
    public bool DecodeStripsLeadingSpace => _cfg.DecodeStripsLeadingSpace;
    public BpeTokenizerConfig Config => _cfg;
    public IReadOnlyList<AddedToken> AddedTokens => _added.Tokens;

    public string? TokenToString(int id) => _vocab.Contains(id) ? _vocab[id] : null;
    public int? TokenToId(string token) => _vocab.Find(token);

    public TokenType GetTokenType(int id) => _vocab.Contains(id) ? _vocab.TypeOf(id) : TokenType.Undefined;

    public bool IsSpecial(int id) =>
        _vocab.Contains(id) && (_vocab.TypeOf(id) is TokenType.Control or TokenType.Unknown || _specialAdded.Contains(id));

    public ReadOnlySpan<byte> TokenBytes(int id) =>
        _vocab.Contains(id) ? _tokenBytes[id] : throw new QuantReasonException(
            $"token id {id} is outside the vocabulary (0..{_vocab.Count - 1})", _cfg.Source);

    public int[] Encode(string text, bool addSpecialTokens) => Encode(text, addSpecialTokens, parseSpecialTokens: true);

    public int[] Encode(string text, bool addSpecialTokens, bool parseSpecialTokens)
    {
        ArgumentNullException.ThrowIfNull(text);
        var scratch = t_scratch ??= new Scratch();
        var output = new List<int>(text.Length / 3 + 4);
        if (addSpecialTokens && _cfg.AddBos && _cfg.BosId is { } bos) output.Add(bos);
        var first = true;
        foreach (var seg in _added.Split(text, parseSpecialTokens))
        {
            if (seg.Text is null) { output.Add(seg.Id); first = false; continue; }
            var normalized = _cfg.Normalizer.Apply(seg.Text);
            var pieces = _cfg.PreTokenizer.Split(normalized, first);
            first = false;
            foreach (var piece in pieces)
            {
                if (_chunkAtMetaspace) EncodeChunked(piece, output, scratch);
                else EncodePiece(piece, output, scratch);
            }
        }
        if (addSpecialTokens && _cfg.AddEos && _cfg.EosIds.Count > 0) output.Add(_cfg.EosIds[0]);
        return output.ToArray();
    }

    void EncodeChunked(string text, List<int> output, Scratch scratch)
    {
        var marker = _cfg.Metaspace!.Value;
        var start = 0;
        for (var i = 1; i < text.Length; i++)
        {
            if (text[i] == marker && text[i - 1] != marker)
            {
                EncodePiece(text[start..i], output, scratch);
                start = i;
            }
        }
        EncodePiece(start == 0 ? text : text[start..], output, scratch);
    }

    void EncodePiece(string piece, List<int> output, Scratch scratch)
    {
        if (piece.Length == 0) return;
        if (_cache.TryGetValue(piece, out var cached)) { output.AddRange(cached); return; }

        var word = _cfg.ByteLevel ? ByteLevelMapping.Encode(piece) : piece;
        var result = scratch.Piece;
        result.Clear();
        if (_cfg.IgnoreMerges && _vocab.TryFind(word, out var whole))
        {
            result.Add(whole);
        }
        else
        {
            var ids = scratch.Ids;
            var runes = scratch.Runes;
            ids.Clear();
            runes.Clear();
            foreach (var rune in word.EnumerateRunes())
            {
                runes.Add(rune.Value);
                ids.Add(rune.IsBmp ? _bmpCharIds[rune.Value] : _astralCharIds.GetValueOrDefault(rune.Value, -1));
            }
            scratch.Merger.Merge(ids, _cfg.Merges, scratch.Survivors);
            foreach (var s in scratch.Survivors)
            {
                if (ids[s] >= 0) result.Add(ids[s]);
                else EmitUnknown(new Rune(runes[s]), result);
            }
        }

        var arr = result.ToArray();
        // ConcurrentDictionary.Count takes every lock, so the size is tracked separately.
        if (Interlocked.Increment(ref _cacheSize) > CacheLimit)
        {
            _cache.Clear();
            Interlocked.Exchange(ref _cacheSize, 0);
        }
        _cache.TryAdd(piece, arr);
        output.AddRange(arr);
    }

    void EmitUnknown(Rune rune, List<int> result)
    {
        Span<byte> utf8 = stackalloc byte[4];
        var n = rune.EncodeToUtf8(utf8);
        if (_cfg.ByteFallback)
        {
            var ok = true;
            for (var i = 0; i < n; i++) ok &= _byteIds[utf8[i]] >= 0;
            if (ok)
            {
                for (var i = 0; i < n; i++) result.Add(_byteIds[utf8[i]]);
                return;
            }
        }
        if (_cfg.UnknownId is { } unk)
        {
            if (!(_cfg.FuseUnknown && result.Count > 0 && result[^1] == unk)) result.Add(unk);
            return;
        }
        throw new QuantReasonException(
            $"character U+{rune.Value:X4} is not in the vocabulary and the tokenizer has neither byte fallback nor an unknown token",
            _cfg.Source);
    }

    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens)
    {
        var bytes = new List<byte>(ids.Length * 4);
        foreach (var id in ids)
        {
            if (skipSpecialTokens && IsSpecial(id)) continue;
            bytes.AddRange(TokenBytes(id));
        }
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes);
        if (_cfg.DecodeStripsLeadingSpace && span.Length > 0 && span[0] == (byte)' ') span = span[1..];
        return Encoding.UTF8.GetString(span);
    }
}
