namespace QuantReason.Tokenizers;

/// <summary>Token strings and kinds by id, with the reverse lookup. Ids are dense 0..Count-1.</summary>
public sealed class Vocabulary
{
    readonly string[] _tokens;
    readonly TokenType[] _types;
    readonly Dictionary<string, int> _ids;

    public Vocabulary(string[] tokens, TokenType[] types, string where)
    {
        if (tokens.Length != types.Length)
            throw new QuantReasonException($"{tokens.Length} tokens but {types.Length} token types", where);
        _tokens = tokens;
        _types = types;
        _ids = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        // Duplicates exist in real vocabularies (e.g. padding entries); the first id wins, as in llama.cpp.
        for (var i = 0; i < tokens.Length; i++) _ids.TryAdd(tokens[i], i);
    }

    public int Count => _tokens.Length;
    public string this[int id] => _tokens[id];
    public TokenType TypeOf(int id) => _types[id];
    public bool Contains(int id) => (uint)id < (uint)_tokens.Length;
    public int? Find(string token) => _ids.TryGetValue(token, out var id) ? id : null;
    public bool TryFind(string token, out int id) => _ids.TryGetValue(token, out id);
    public bool TryFind(ReadOnlySpan<char> token, out int id) =>
        _ids.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(token, out id);
    public IReadOnlyList<string> Tokens => _tokens;
}
