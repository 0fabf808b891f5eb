using QuantReason.Tensors;

namespace QuantReason.Tokenizers;

/// <summary>
/// Builds a tokenizer from the vocabulary in GGUF metadata: <c>tokenizer.ggml.model</c> "gpt2" (byte-level BPE with
/// <c>.merges</c> and the <c>.pre</c> regex set) or "llama" (SentencePiece BPE from <c>.scores</c> with byte fallback),
/// <c>.tokens</c>, <c>.token_type</c>, the special ids and <c>add_bos_token</c>/<c>add_eos_token</c>/<c>add_space_prefix</c>.
/// </summary>
public static class GgufVocabularyLoader
{
    // Turn-ending tokens that llama.cpp also treats as end of generation when present as control tokens.
    static readonly string[] EndOfGenerationMarkers =
        ["<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<｜end▁of▁sentence｜>", "<|end_of_text|>"];

    public static BpeTokenizer Load(string path)
    {
        using var gguf = GgufFile.Open(path);
        return Load(gguf);
    }

    public static BpeTokenizer Load(GgufFile gguf)
    {
        var where = gguf.Path;
        if (!gguf.TryGetString("tokenizer.ggml.model", out var model))
            throw new QuantReasonException("GGUF file has no tokenizer (tokenizer.ggml.model is missing)", where);
        if (!gguf.TryGetArray<string>("tokenizer.ggml.tokens", out var tokens))
            throw new QuantReasonException("GGUF file has no tokenizer.ggml.tokens", where);
        var types = new TokenType[tokens.Length];
        if (gguf.TryGetArray<int>("tokenizer.ggml.token_type", out var rawTypes))
        {
            if (rawTypes.Length != tokens.Length)
                throw new QuantReasonException($"tokenizer.ggml.token_type has {rawTypes.Length} entries for {tokens.Length} tokens", where);
            for (var i = 0; i < types.Length; i++) types[i] = (TokenType)rawTypes[i];
        }
        else Array.Fill(types, TokenType.Normal);
        var vocab = new Vocabulary(tokens, types, where);

        int? Id(string key)
        {
            if (!gguf.TryGetInt64(key, out var v)) return null;
            // Writers use -1 / 0xFFFFFFFF for "none".
            if (v < 0 || v >= tokens.Length) return null;
            return (int)v;
        }

        var spm = model switch
        {
            "llama" => true,
            "gpt2" => false,
            _ => throw new QuantReasonException(
                $"tokenizer.ggml.model '{model}' is not supported (supported: gpt2 = byte-level BPE, llama = SentencePiece BPE)", where),
        };

        var eos = new List<int>();
        if (Id("tokenizer.ggml.eos_token_id") is { } e) eos.Add(e);
        foreach (var key in new[] { "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id" })
            if (Id(key) is { } x && !eos.Contains(x)) eos.Add(x);
        foreach (var marker in EndOfGenerationMarkers)
            if (vocab.TryFind(marker, out var m) && types[m] == TokenType.Control && !eos.Contains(m)) eos.Add(m);

        var added = new List<AddedToken>();
        for (var id = 0; id < tokens.Length; id++)
            if (types[id] is TokenType.Control or TokenType.UserDefined or TokenType.Unknown)
                added.Add(new AddedToken(id, tokens[id], Special: types[id] != TokenType.UserDefined));

        gguf.TryGetString("tokenizer.chat_template", out var template);
        var addBos = gguf.TryGetBool("tokenizer.ggml.add_bos_token", out var ab) ? ab : spm;
        var addEos = gguf.TryGetBool("tokenizer.ggml.add_eos_token", out var ae) && ae;
        var unk = Id("tokenizer.ggml.unknown_token_id");

        if (spm)
        {
            if (!gguf.TryGetArray<float>("tokenizer.ggml.scores", out var scores))
                throw new QuantReasonException("SentencePiece vocabulary needs tokenizer.ggml.scores", where);
            if (scores.Length != tokens.Length)
                throw new QuantReasonException($"tokenizer.ggml.scores has {scores.Length} entries for {tokens.Length} tokens", where);
            var addSpacePrefix = !gguf.TryGetBool("tokenizer.ggml.add_space_prefix", out var asp) || asp;
            var steps = new List<NormalizerStep>();
            if (addSpacePrefix) steps.Add(new PrependStep("▁"));
            steps.Add(new ReplaceStep(" ", "▁"));
            return new BpeTokenizer(new BpeTokenizerConfig
            {
                Vocabulary = vocab,
                Merges = MergeTable.FromScores(vocab, scores),
                ByteFallback = true,
                Normalizer = new Normalizer(steps),
                AddedTokens = added,
                UnknownId = unk ?? vocab.Find("<unk>"),
                BosId = Id("tokenizer.ggml.bos_token_id"),
                EosIds = eos,
                PadId = Id("tokenizer.ggml.padding_token_id"),
                AddBos = addBos,
                AddEos = addEos,
                Metaspace = '▁',
                DecodeStripsLeadingSpace = addSpacePrefix,
                ChatTemplate = template,
                Source = where,
            });
        }

        if (!gguf.TryGetArray<string>("tokenizer.ggml.merges", out var mergeLines))
            throw new QuantReasonException("byte-level BPE vocabulary needs tokenizer.ggml.merges", where);
        var merges = mergeLines.Select(l => MergeTable.ParseMergeLine(l, where)).ToList();
        gguf.TryGetString("tokenizer.ggml.pre", out var pre);
        var spec = PreTokenizerTable.Get(pre, where);
        return new BpeTokenizer(new BpeTokenizerConfig
        {
            Vocabulary = vocab,
            Merges = MergeTable.FromRankedMerges(merges, vocab),
            ByteLevel = true,
            IgnoreMerges = spec.IgnoreMerges,
            PreTokenizer = PreTokenizer.FromPatterns(spec.Patterns),
            AddedTokens = added,
            UnknownId = unk,
            BosId = Id("tokenizer.ggml.bos_token_id"),
            EosIds = eos,
            PadId = Id("tokenizer.ggml.padding_token_id"),
            AddBos = addBos,
            AddEos = addEos,
            ChatTemplate = template,
            Source = where,
        });
    }
}
