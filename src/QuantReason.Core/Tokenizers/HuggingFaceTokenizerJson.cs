using System.Text.Json;
using System.Text.RegularExpressions;

namespace QuantReason.Tokenizers;

/// <summary>
/// Loads a Hugging Face <c>tokenizer.json</c> whose model is BPE: byte-level (GPT-2, Llama 3, Qwen: ByteLevel
/// pre-tokenizer/decoder, Split regexes) or SentencePiece-style (Llama 2: Prepend/Replace normalizers or Metaspace,
/// byte_fallback, Replace/ByteFallback/Fuse/Strip decoders). added_tokens are matched before pre-tokenization;
/// the post-processor's template decides BOS/EOS unless tokenizer_config.json says otherwise.
/// </summary>
public static class HuggingFaceTokenizerJson
{
    /// <summary>The pattern HF's ByteLevel pre-tokenizer uses when use_regex is true (GPT-2's).</summary>
    public const string ByteLevelPattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    public static BpeTokenizer Load(string path, TokenizerConfig? config = null, GenerationConfig? generation = null)
    {
        using var doc = JsonFile.Parse(path);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new QuantReasonException("expected a JSON object", path);
        var model = JsonFile.Object(root, "model") ?? throw new QuantReasonException("tokenizer.json has no \"model\"", path);
        var modelType = JsonFile.String(model, "type") ?? "BPE";
        if (modelType != "BPE")
            throw new QuantReasonException($"tokenizer model type '{QuantReasonException.Quote(modelType)}' is not supported (only BPE)", path);
        foreach (var unsupported in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
            if (JsonFile.String(model, unsupported) is { Length: > 0 } v)
                throw new QuantReasonException($"BPE {unsupported} '{QuantReasonException.Quote(v)}' is not supported", path);

        // ---- vocabulary: model.vocab plus added_tokens (which may extend it) ----
        var vocabJson = JsonFile.Object(model, "vocab") ?? throw new QuantReasonException("BPE model has no vocab", path);
        var entries = new List<(string Token, int Id)>();
        foreach (var p in vocabJson.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out var id) || id < 0)
                throw new QuantReasonException($"vocab entry '{QuantReasonException.Quote(p.Name)}' has no valid id", path);
            entries.Add((p.Name, id));
        }
        var added = new List<AddedToken>();
        foreach (var t in JsonFile.Items(root, "added_tokens", path))
        {
            var content = JsonFile.String(t, "content") ?? throw new QuantReasonException("added token without content", path);
            if (!t.TryGetProperty("id", out var idEl) || JsonFile.Int(idEl) is not { } id || id < 0)
                throw new QuantReasonException($"added token '{QuantReasonException.Quote(content)}' has no valid id", path);
            added.Add(new AddedToken(id, content, JsonFile.Bool(t, "special") ?? false,
                JsonFile.Bool(t, "lstrip") ?? false, JsonFile.Bool(t, "rstrip") ?? false));
        }

        var maxId = Math.Max(entries.Count == 0 ? -1 : entries.Max(e => e.Id), added.Count == 0 ? -1 : added.Max(a => a.Id));
        // Ids index arrays sized by the largest: vocabularies are dense, so an id far past the entry count is corruption.
        long plausible = 2L * (entries.Count + added.Count) + 1024;
        if (maxId >= plausible)
            throw new QuantReasonException($"token id {maxId} is far past the {entries.Count + added.Count} tokens the file defines", path);
        var size = maxId + 1;
        var tokens = new string[size];
        var types = new TokenType[size];
        Array.Fill(tokens, "");
        Array.Fill(types, TokenType.Undefined);
        foreach (var (token, id) in entries) { tokens[id] = token; types[id] = TokenType.Normal; }
        foreach (var a in added) { tokens[a.Id] = a.Content; types[a.Id] = a.Special ? TokenType.Control : TokenType.UserDefined; }

        var byteFallback = JsonFile.Bool(model, "byte_fallback") ?? false;
        if (byteFallback)
            for (var i = 0; i < size; i++)
                if (types[i] == TokenType.Normal && Regex.IsMatch(tokens[i], "^<0x[0-9A-Fa-f]{2}>$")) types[i] = TokenType.Byte;

        int? unk = null;
        if (JsonFile.String(model, "unk_token") is { } unkText)
        {
            foreach (var (token, id) in entries)
                if (token == unkText) { unk = id; break; }
            unk ??= added.FirstOrDefault(a => a.Content == unkText)?.Id;
            if (unk is { } u) types[u] = TokenType.Unknown;
        }
        var vocab = new Vocabulary(tokens, types, path);

        // ---- merges: "a b" strings (older files) or ["a", "b"] pairs ----
        var merges = new List<(string, string)>();
        foreach (var m in JsonFile.Items(model, "merges", path))
        {
            if (m.ValueKind == JsonValueKind.String) merges.Add(MergeTable.ParseMergeLine(m.GetString()!, path));
            else if (m.ValueKind == JsonValueKind.Array && m.GetArrayLength() == 2
                     && m[0].ValueKind == JsonValueKind.String && m[1].ValueKind == JsonValueKind.String)
                merges.Add((m[0].GetString()!, m[1].GetString()!));
            else throw new QuantReasonException($"merge entry {QuantReasonException.Quote(m.GetRawText(), 40)} is neither \"a b\" nor [\"a\", \"b\"]", path);
        }

        // ---- pipeline ----
        var normalizer = new Normalizer(ReadNormalizer(root.TryGetProperty("normalizer", out var nj) ? nj : default, path));
        var byteLevel = false;
        var preSteps = ReadPreTokenizer(root.TryGetProperty("pre_tokenizer", out var pj) ? pj : default, path, ref byteLevel);
        var decoder = root.TryGetProperty("decoder", out var dj) ? dj : default;
        byteLevel |= HasType(decoder, "ByteLevel");

        char? metaspace = null;
        var stripLeading = false;
        ReadDecoder(decoder, path, ref metaspace, ref stripLeading);
        if (metaspace is null)
        {
            if (normalizer.Steps.OfType<ReplaceStep>().FirstOrDefault(r => r.Pattern == " ") is { Content.Length: 1 } rep) metaspace = rep.Content[0];
            else if (preSteps.OfType<MetaspaceStep>().FirstOrDefault() is { } ms) metaspace = ms.Replacement;
        }

        var (templateBos, templateEos) = ReadPostProcessor(root.TryGetProperty("post_processor", out var ppj) ? ppj : default, vocab, path);

        int? Lookup(string? token) => token is not null && vocab.TryFind(token, out var id) ? id : null;
        var bos = templateBos ?? Lookup(config?.BosToken) ?? generation?.BosTokenId;
        var eos = new List<int>();
        void AddEos(int? id) { if (id is { } v && vocab.Contains(v) && !eos.Contains(v)) eos.Add(v); }
        AddEos(Lookup(config?.EosToken));
        AddEos(templateEos);
        foreach (var e in generation?.EosTokenIds ?? []) AddEos(e);

        return new BpeTokenizer(new BpeTokenizerConfig
        {
            Vocabulary = vocab,
            Merges = MergeTable.FromRankedMerges(merges, vocab),
            ByteLevel = byteLevel,
            ByteFallback = byteFallback,
            IgnoreMerges = JsonFile.Bool(model, "ignore_merges") ?? false,
            FuseUnknown = JsonFile.Bool(model, "fuse_unk") ?? false,
            Normalizer = normalizer,
            PreTokenizer = new PreTokenizer(preSteps),
            AddedTokens = added,
            UnknownId = unk,
            BosId = bos,
            EosIds = eos,
            PadId = Lookup(config?.PadToken) ?? generation?.PadTokenId,
            AddBos = config?.AddBosToken ?? templateBos is not null,
            AddEos = config?.AddEosToken ?? templateEos is not null,
            Metaspace = byteLevel ? null : metaspace,
            DecodeStripsLeadingSpace = !byteLevel && stripLeading,
            ChatTemplate = config?.ChatTemplate,
            Source = path,
        });
    }

    static bool HasType(JsonElement e, string type)
    {
        if (e.ValueKind != JsonValueKind.Object) return false;
        if (JsonFile.String(e, "type") == type) return true;
        foreach (var listName in new[] { "decoders", "pretokenizers", "normalizers", "processors" })
            if (e.TryGetProperty(listName, out var list) && list.ValueKind == JsonValueKind.Array)
                foreach (var item in list.EnumerateArray())
                    if (HasType(item, type)) return true;
        return false;
    }

    static string ReadPattern(JsonElement step, string path)
    {
        var pattern = JsonFile.Object(step, "pattern") ?? throw new QuantReasonException("step has no pattern", path);
        if (JsonFile.String(pattern, "Regex") is { } rx) return rx;
        if (JsonFile.String(pattern, "String") is { } s) return Regex.Escape(s);
        throw new QuantReasonException($"pattern {QuantReasonException.Quote(pattern.GetRawText(), 40)} is neither Regex nor String", path);
    }

    static List<NormalizerStep> ReadNormalizer(JsonElement n, string path)
    {
        var steps = new List<NormalizerStep>();
        if (n.ValueKind != JsonValueKind.Object) return steps;
        var type = JsonFile.String(n, "type");
        switch (type)
        {
            case "Sequence":
                foreach (var item in JsonFile.Items(n, "normalizers", path)) steps.AddRange(ReadNormalizer(item, path));
                break;
            case "NFC": steps.Add(new UnicodeNormalizationStep(System.Text.NormalizationForm.FormC)); break;
            case "NFD": steps.Add(new UnicodeNormalizationStep(System.Text.NormalizationForm.FormD)); break;
            case "NFKC": steps.Add(new UnicodeNormalizationStep(System.Text.NormalizationForm.FormKC)); break;
            case "NFKD": steps.Add(new UnicodeNormalizationStep(System.Text.NormalizationForm.FormKD)); break;
            case "Lowercase": steps.Add(new LowercaseStep()); break;
            case "Prepend": steps.Add(new PrependStep(JsonFile.String(n, "prepend") ?? "")); break;
            case "Strip": steps.Add(new StripStep(JsonFile.Bool(n, "strip_left") ?? true, JsonFile.Bool(n, "strip_right") ?? true)); break;
            case "Replace":
            {
                var pattern = JsonFile.Object(n, "pattern");
                var literal = pattern is { } p ? JsonFile.String(p, "String") : null;
                if (literal is null)
                    throw new QuantReasonException("Replace normalizer with a Regex pattern is not supported", path);
                steps.Add(new ReplaceStep(literal, JsonFile.String(n, "content") ?? ""));
                break;
            }
            default:
                throw new QuantReasonException($"normalizer '{QuantReasonException.Quote(type)}' is not supported", path);
        }
        return steps;
    }

    static List<PreTokenizerStep> ReadPreTokenizer(JsonElement p, string path, ref bool byteLevel)
    {
        var steps = new List<PreTokenizerStep>();
        if (p.ValueKind != JsonValueKind.Object) return steps;
        var type = JsonFile.String(p, "type");
        switch (type)
        {
            case "Sequence":
                foreach (var item in JsonFile.Items(p, "pretokenizers", path)) steps.AddRange(ReadPreTokenizer(item, path, ref byteLevel));
                break;
            case "ByteLevel":
                byteLevel = true;
                if (JsonFile.Bool(p, "add_prefix_space") ?? false) steps.Add(new PrefixSpaceStep());
                if (JsonFile.Bool(p, "use_regex") ?? true)
                    steps.Add(new RegexSplitStep(new PreTokenizerRegex(ByteLevelPattern, RegexDialect.Oniguruma)));
                break;
            case "Split":
                steps.Add(new RegexSplitStep(new PreTokenizerRegex(ReadPattern(p, path), RegexDialect.Oniguruma),
                    ReadBehavior(p, path), JsonFile.Bool(p, "invert") ?? false));
                break;
            case "Digits":
                steps.Add(new RegexSplitStep(new PreTokenizerRegex((JsonFile.Bool(p, "individual_digits") ?? false) ? @"\p{N}" : @"\p{N}+")));
                break;
            case "Punctuation":
                steps.Add(new RegexSplitStep(new PreTokenizerRegex(@"[\p{P}!-/:-@\[-`{-~]"), ReadBehavior(p, path)));
                break;
            case "Whitespace":
                steps.Add(new RegexSplitStep(new PreTokenizerRegex(@"\w+|[^\w\s]+"), SplitBehavior.Removed, Invert: true));
                break;
            case "WhitespaceSplit":
                steps.Add(new RegexSplitStep(new PreTokenizerRegex(@"\s+"), SplitBehavior.Removed));
                break;
            case "Metaspace":
                steps.Add(new MetaspaceStep(ReadReplacement(p), ReadPrependScheme(p), JsonFile.Bool(p, "split") ?? true));
                break;
            default:
                throw new QuantReasonException($"pre-tokenizer '{QuantReasonException.Quote(type)}' is not supported", path);
        }
        return steps;
    }

    static char ReadReplacement(JsonElement e) => JsonFile.String(e, "replacement") is { Length: 1 } r ? r[0] : '▁';

    static MetaspacePrepend ReadPrependScheme(JsonElement e) => JsonFile.String(e, "prepend_scheme") switch
    {
        "always" => MetaspacePrepend.Always,
        "first" => MetaspacePrepend.First,
        "never" => MetaspacePrepend.Never,
        _ => JsonFile.Bool(e, "add_prefix_space") ?? true ? MetaspacePrepend.Always : MetaspacePrepend.Never,
    };

    static SplitBehavior ReadBehavior(JsonElement e, string path) => JsonFile.String(e, "behavior") switch
    {
        null or "Isolated" => SplitBehavior.Isolated,
        "Removed" => SplitBehavior.Removed,
        "MergedWithPrevious" => SplitBehavior.MergedWithPrevious,
        "MergedWithNext" => SplitBehavior.MergedWithNext,
        "Contiguous" => SplitBehavior.Contiguous,
        var b => throw new QuantReasonException($"split behavior '{QuantReasonException.Quote(b)}' is not supported", path),
    };

    static void ReadDecoder(JsonElement d, string path, ref char? metaspace, ref bool stripLeading)
    {
        if (d.ValueKind != JsonValueKind.Object) return;
        switch (JsonFile.String(d, "type"))
        {
            case "Sequence":
                foreach (var item in JsonFile.Items(d, "decoders", path)) ReadDecoder(item, path, ref metaspace, ref stripLeading);
                break;
            case "Metaspace":
                metaspace = ReadReplacement(d);
                stripLeading = ReadPrependScheme(d) != MetaspacePrepend.Never;
                break;
            case "Replace":
                if (JsonFile.Object(d, "pattern") is { } p && JsonFile.String(p, "String") is { Length: 1 } from && JsonFile.String(d, "content") == " ")
                    metaspace = from[0];
                break;
            case "Strip":
                if (JsonFile.String(d, "content") == " " && d.TryGetProperty("start", out var s) && JsonFile.Int(s) is > 0)
                    stripLeading = true;
                break;
        }
    }

    /// <summary>BOS/EOS from a TemplateProcessing "single" template: special tokens before / after the sequence $A.</summary>
    static (int? Bos, int? Eos) ReadPostProcessor(JsonElement pp, Vocabulary vocab, string path)
    {
        if (pp.ValueKind != JsonValueKind.Object) return (null, null);
        var type = JsonFile.String(pp, "type");
        if (type == "Sequence")
        {
            foreach (var item in JsonFile.Items(pp, "processors", path))
                if (ReadPostProcessor(item, vocab, path) is var r && (r.Bos is not null || r.Eos is not null)) return r;
            return (null, null);
        }
        if (type != "TemplateProcessing") return (null, null);
        int? bos = null, eos = null;
        var seenSequence = false;
        foreach (var piece in JsonFile.Items(pp, "single", path))
        {
            if (piece.ValueKind != JsonValueKind.Object) continue;
            if (piece.TryGetProperty("Sequence", out _)) { seenSequence = true; continue; }
            if (!piece.TryGetProperty("SpecialToken", out var st)) continue;
            var name = JsonFile.String(st, "id");
            int? id = null;
            if (JsonFile.Object(pp, "special_tokens") is { } map && name is not null && JsonFile.Object(map, name) is { } entry
                && entry.TryGetProperty("ids", out var ids) && ids.ValueKind == JsonValueKind.Array && ids.GetArrayLength() > 0)
                id = JsonFile.Int(ids[0]) is { } given && vocab.Contains(given) ? given
                    : throw new QuantReasonException($"post_processor special token '{QuantReasonException.Quote(name)}' has id {QuantReasonException.Quote(ids[0].GetRawText(), 40)}, not one in the vocabulary", path);
            id ??= name is not null && vocab.TryFind(name, out var v) ? v : null;
            if (!seenSequence) bos ??= id; else eos ??= id;
        }
        return (bos, eos);
    }
}
