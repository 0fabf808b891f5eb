namespace QuantReason.Tokenizers;

/// <summary>Entry points: a Hugging Face model folder, a GGUF file, or a bare SentencePiece model.</summary>
public static class TokenizerLoader
{
    /// <summary>
    /// Any supported source by its shape: a folder (see <see cref="FromDirectory"/>), a <c>.gguf</c> file, a
    /// SentencePiece <c>.model</c> file, or a <c>tokenizer.json</c> (whose sibling config files are read too).
    /// </summary>
    public static ITokenizer Load(string path)
    {
        if (Directory.Exists(path)) return FromDirectory(path);
        if (!File.Exists(path)) throw new QuantReasonException("tokenizer source not found", path);
        var ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext == ".gguf") return FromGguf(path);
        if (ext == ".model") return FromSentencePieceModel(path);
        if (ext == ".json")
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
            var config = Path.Combine(dir, "tokenizer_config.json");
            var generation = Path.Combine(dir, "generation_config.json");
            return HuggingFaceTokenizerJson.Load(path,
                File.Exists(config) ? TokenizerConfig.Load(config) : null,
                File.Exists(generation) ? GenerationConfig.Load(generation) : null);
        }
        // Unknown extension: GGUF files announce themselves by their magic bytes.
        Span<byte> magic = stackalloc byte[4];
        using (var f = File.OpenRead(path)) f.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
        if (magic.SequenceEqual("GGUF"u8)) return FromGguf(path);
        throw new QuantReasonException("not a tokenizer: expected a folder, .gguf, .model or tokenizer.json", path);
    }

    /// <summary>
    /// A model folder: <c>tokenizer.json</c> if present, else <c>tokenizer.model</c>; <c>tokenizer_config.json</c>
    /// supplies BOS/EOS/PAD, add_bos_token and the chat template; <c>generation_config.json</c> adds EOS ids.
    /// </summary>
    public static ITokenizer FromDirectory(string modelDir)
    {
        if (!Directory.Exists(modelDir)) throw new QuantReasonException("model directory not found", modelDir);
        var configPath = Path.Combine(modelDir, "tokenizer_config.json");
        var generationPath = Path.Combine(modelDir, "generation_config.json");
        var config = File.Exists(configPath) ? TokenizerConfig.Load(configPath) : null;
        var generation = File.Exists(generationPath) ? GenerationConfig.Load(generationPath) : null;

        var jsonPath = Path.Combine(modelDir, "tokenizer.json");
        if (File.Exists(jsonPath)) return HuggingFaceTokenizerJson.Load(jsonPath, config, generation);

        var spmPath = Path.Combine(modelDir, "tokenizer.model");
        if (File.Exists(spmPath))
        {
            var tok = FromSentencePieceModel(spmPath);
            return config is null && generation is null ? tok : WithConfig(tok, config, generation);
        }
        throw new QuantReasonException("no tokenizer.json or tokenizer.model in the model directory", modelDir);
    }

    public static ITokenizer FromGguf(string path) => GgufVocabularyLoader.Load(path);

    public static BpeTokenizer FromSentencePieceModel(string path) => SentencePieceModel.Load(path).ToTokenizer(path);

    /// <summary>tokenizer_config.json / generation_config.json settings over a tokenizer.model vocabulary.</summary>
    static BpeTokenizer WithConfig(BpeTokenizer tok, TokenizerConfig? config, GenerationConfig? generation)
    {
        var c = tok.Config;
        int? Lookup(string? token) => token is null ? null : tok.TokenToId(token);
        var eos = new List<int>();
        foreach (var id in new[] { Lookup(config?.EosToken) }.Concat(c.EosIds.Select(e => (int?)e))
                     .Concat((generation?.EosTokenIds ?? []).Select(e => (int?)e)))
            if (id is { } v && v >= 0 && v < tok.VocabSize && !eos.Contains(v)) eos.Add(v);
        var added = c.AddedTokens.ToList();
        foreach (var a in config?.AddedTokensDecoder ?? [])
            if (a.Id < tok.VocabSize && added.All(x => x.Id != a.Id)) added.Add(a);
        return new BpeTokenizer(c with
        {
            BosId = Lookup(config?.BosToken) ?? generation?.BosTokenId ?? c.BosId,
            EosIds = eos,
            PadId = Lookup(config?.PadToken) ?? generation?.PadTokenId ?? c.PadId,
            AddBos = config?.AddBosToken ?? c.AddBos,
            AddEos = config?.AddEosToken ?? c.AddEos,
            AddedTokens = added,
            ChatTemplate = config?.ChatTemplate ?? c.ChatTemplate,
        });
    }
}
