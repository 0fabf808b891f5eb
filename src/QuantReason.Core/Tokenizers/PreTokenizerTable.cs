namespace QuantReason.Tokenizers;

/// <summary>A named byte-level pre-tokenizer: its regex list (applied in order) and whether whole-word vocabulary hits skip merging.</summary>
public sealed record PreTokenizerSpec(string Name, IReadOnlyList<string> Patterns, bool IgnoreMerges = false);

/// <summary>
/// Byte-level BPE pre-tokenizers keyed by GGUF <c>tokenizer.ggml.pre</c> name, with the regex lists llama.cpp uses
/// (taken from the models' tokenizer.json). Names that share a pattern point at the same entry.
/// </summary>
public static class PreTokenizerTable
{
    const string Gpt2 = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)";
    const string Llama3 = @"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    const string Qwen2 = @"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    // DeepSeek LLM's letter class (code points that Unicode normalization would fold, such as U+1F7D and U+2126,
    // are written as escapes so no editor or tool can silently change them): cased letters of many scripts, including astral ranges (Deseret, Osage, Old
    // Hungarian, Warang Citi, Adlam) that PreTokenizerRegex maps onto stand-ins.
    const string DeepSeekLetters =
        "\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-\u1F7Dᾀ-ᾴᾶ-ᾼ\u1FBEῂ-ῄῆ-ῌῐ-\u1FD3ῖ-\u1FDBῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤ\u2126ℨ\u212A-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ" +
        "\U00010400-\U0001044F\U000104B0-\U000104D3\U000104D8-\U000104FB\U00010C80-\U00010CB2\U00010CC0-\U00010CF2\U000118A0-\U000118DF\U0001E900-\U0001E943]+";

    static readonly PreTokenizerSpec Default = new("default", [@"[\p{P}\$\+<=>\^~\|]+", Gpt2, @"\p{N}+", "[0-9][0-9][0-9]"]);
    static readonly PreTokenizerSpec Gpt2Spec = new("gpt-2", [Gpt2]);
    static readonly PreTokenizerSpec Llama3Spec = new("llama-bpe", [Llama3], IgnoreMerges: true);
    static readonly PreTokenizerSpec Llama3MergesSpec = new("dbrx", [Llama3]);
    static readonly PreTokenizerSpec Qwen2Spec = new("qwen2", [Qwen2]);
    static readonly PreTokenizerSpec StarCoder = new("starcoder", [@"\p{N}", Gpt2]);
    static readonly PreTokenizerSpec Falcon = new("falcon", [@"[\p{P}\$\+<=>\^~\|`]+", Gpt2, "[0-9][0-9][0-9]"]);
    static readonly PreTokenizerSpec DeepSeekLlm = new("deepseek-llm",
        ["[\r\n]", DeepSeekLetters, "\\s?[!-/:-~！-／：-～‘-‟　-。]+", "\\s+$", "[一-龥ࠀ-一가-퟿]+", "\\p{N}+"]);
    static readonly PreTokenizerSpec DeepSeekCoder = new("deepseek-coder",
        ["[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", "[一-龥ࠀ-一가-퟿]+", "\\p{N}"]);
    static readonly PreTokenizerSpec DeepSeekV3 = new("deepseek-v3",
    [
        @"\p{N}{1,3}", "[一-龥぀-ゟ゠-ヿ]+",
        "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+",
    ]);
    static readonly PreTokenizerSpec Bloom = new("bloom", [" ?[^(\\s|.,!?…。，、।۔،)]+"]);
    static readonly PreTokenizerSpec Viking = new("viking", [" ?[^(\\s|.,!?…。，、।۔،)]+", @"\p{N}"]);
    // Tekken and GPT-4o use case classes; .NET has \p{Lu} etc. natively, so the tokenizer.json originals run as written.
    static readonly PreTokenizerSpec Tekken = new("tekken",
        [@"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"],
        IgnoreMerges: true);
    static readonly PreTokenizerSpec Gpt4o = new("gpt-4o",
        [@"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"]);
    static readonly PreTokenizerSpec Chameleon = new("chameleon",
    [
        "<sentinel:[0-9]+>", "(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z", "([\\t\\n]|    |  )", @"\p{N}", @"[\p{P}!-/:-@\[-`{-~]", Gpt2,
    ]);
    // Ling/BailingMoE: the original uses possessive quantifiers, translated to atomic groups.
    static readonly PreTokenizerSpec BailingMoe = new("bailingmoe",
        [@"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+"]);
    static readonly PreTokenizerSpec SeedCoder = new("seed-coder",
        [@"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1}| ?[^\s\p{L}\p{N}\r\n]+|\s*[\r\n]+|\s+(?!\S)|\s+"]);
    static readonly PreTokenizerSpec SuperBpe = new("superbpe", [@"\p{N}+", @"(?=(\d{3})+(?!\d))"]);

    static readonly Dictionary<string, PreTokenizerSpec> Table = Build();

    static Dictionary<string, PreTokenizerSpec> Build()
    {
        var t = new Dictionary<string, PreTokenizerSpec>(StringComparer.Ordinal);
        void Add(PreTokenizerSpec spec, params string[] names) { foreach (var n in names) t[n] = spec; }
        Add(Default, "default");
        Add(Llama3Spec, "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2");
        Add(Llama3MergesSpec, "dbrx", "smaug-bpe", "chatglm-bpe");
        Add(DeepSeekLlm, "deepseek-llm");
        Add(DeepSeekCoder, "deepseek-coder");
        Add(DeepSeekV3, "deepseek-v3", "hunyuan-dense");
        Add(Falcon, "falcon");
        Add(StarCoder, "starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b");
        Add(Gpt2Spec, "gpt-2", "gpt2", "phi-2", "mpt", "olmo", "jais", "trillion", "jina-es", "jina-de", "jina-v1-en",
            "jina-v2-es", "jina-v2-de", "jina-v2-code", "roberta-bpe", "gigachat", "mellum", "a.x-4.0", "granite-docling");
        Add(Qwen2Spec, "qwen2", "stablelm2", "hunyuan", "megrez", "deepseek-r1-qwen", "grok-2");
        Add(Bloom, "bloom", "poro-chat", "gpt3-finnish");
        Add(Viking, "viking");
        Add(Tekken, "tekken");
        Add(Gpt4o, "gpt-4o", "llama4", "minimax-m2");
        Add(Chameleon, "chameleon");
        Add(BailingMoe, "bailingmoe", "llada-moe");
        Add(SeedCoder, "seed-coder");
        Add(SuperBpe, "superbpe");
        return t;
    }

    public static IReadOnlyCollection<string> Names => Table.Keys;

    public static bool TryGet(string name, out PreTokenizerSpec spec) => Table.TryGetValue(name, out spec!);

    /// <summary>The spec for a GGUF pre-tokenizer name; a missing name means "default", as in llama.cpp.</summary>
    public static PreTokenizerSpec Get(string? name, string where)
    {
        if (string.IsNullOrEmpty(name)) return Default;
        return Table.TryGetValue(name, out var spec)
            ? spec
            : throw new QuantReasonException(
                $"unknown pre-tokenizer '{name}' (known: {string.Join(", ", Table.Keys.Order(StringComparer.Ordinal))})", where);
    }
}
