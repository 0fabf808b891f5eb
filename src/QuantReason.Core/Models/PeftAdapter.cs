using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using QuantReason.Tensors;
using QuantReason.Weights;

namespace QuantReason.Models;

/// <summary>One LoRA pair on a linear: A [rank, in], B [out, rank]; the linear computes W·x + scale·B(A·x).</summary>
public sealed record LoraWeights(float[] A, float[] B, int Rank, int In, int Out);

/// <summary>Replacement rows of a vocabulary matrix (PEFT's trainable tokens): row i of <see cref="Rows"/> [n, hidden]
/// replaces row <see cref="Ids"/>[i]; ids past the base vocabulary grow it.</summary>
public sealed record TokenRows(int[] Ids, float[] Rows);

/// <summary>
/// A LoRA adapter in PEFT's layout: <c>adapter_config.json</c> (peft_type LORA, r, lora_alpha, target_modules,
/// modules_to_save, trainable_token_indices …) and <c>adapter_model.safetensors</c> with PEFT's tensor names
/// (<c>base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight</c>; trainable tokens as
/// <c>…embed_tokens.token_adapter.trainable_tokens_delta</c> [n, hidden], which PEFT stores as the rows themselves, not
/// a difference; modules_to_save as the whole <c>…embed_tokens.weight</c> / <c>…lm_head.weight</c>).
/// <see cref="Apply"/> puts it on any loaded base, quantized or not, without merging.
/// </summary>
public sealed class PeftAdapter
{
    public const string ConfigFile = "adapter_config.json";
    public const string WeightsFile = "adapter_model.safetensors";
    const string Prefix = "base_model.model.";
    public const string EmbedModule = "embed_tokens";
    public const string HeadModule = "lm_head";

    public required int Rank { get; init; }
    public required float Alpha { get; init; }
    public bool UseRsLora { get; init; }
    public required IReadOnlyList<string> TargetModules { get; init; }
    public string? BaseModel { get; init; }
    /// <summary>Keyed by module path without ".weight" (model.layers.0.self_attn.q_proj).</summary>
    public required IReadOnlyDictionary<string, LoraWeights> Lora { get; init; }
    /// <summary>Keyed by <see cref="EmbedModule"/> / <see cref="HeadModule"/>.</summary>
    public IReadOnlyDictionary<string, TokenRows> TrainableTokens { get; init; } = new Dictionary<string, TokenRows>();
    /// <summary>Whole matrices [vocab, hidden] trained beside the adapters, keyed as <see cref="TrainableTokens"/>.</summary>
    public IReadOnlyDictionary<string, float[]> ModulesToSave { get; init; } = new Dictionary<string, float[]>();

    /// <summary>alpha/r, or alpha/√r under rsLoRA (PEFT's use_rslora).</summary>
    public float Scale => UseRsLora ? Alpha / MathF.Sqrt(Rank) : Alpha / Rank;

    public static string LoraAName(string module) => $"{Prefix}{module}.lora_A.weight";
    public static string LoraBName(string module) => $"{Prefix}{module}.lora_B.weight";
    static string ModulePath(string key) => key == EmbedModule ? "model.embed_tokens" : "lm_head";
    public static string TokenRowsName(string key) => $"{Prefix}{ModulePath(key)}.token_adapter.trainable_tokens_delta";
    public static string SavedModuleName(string key) => $"{Prefix}{ModulePath(key)}.weight";

    /// <summary>Whether a module path is targeted: a list matches the path's last part (or the whole path), a string is a
    /// regular expression over the whole path, as PEFT reads target_modules.</summary>
    public static bool Targets(IReadOnlyList<string> targets, bool regex, string module) =>
        regex ? Regex.IsMatch(module, $"^(?:{targets[0]})$")
              : targets.Any(t => module == t || module.EndsWith("." + t, StringComparison.Ordinal));

    // ---- writing ----------------------------------------------------------------------------------------------------

    /// <summary>Writes adapter_config.json and adapter_model.safetensors into <paramref name="dir"/>.</summary>
    public void Save(string dir)
    {
        Directory.CreateDirectory(dir);
        JsonNode? Strings(IEnumerable<string> s) => new JsonArray(s.Select(x => (JsonNode?)x).ToArray());
        var tokens = TrainableTokens.Count == 0 ? null
            : new JsonObject(TrainableTokens.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)new JsonArray(kv.Value.Ids.Select(i => (JsonNode?)i).ToArray()))));
        var config = new JsonObject
        {
            ["peft_type"] = "LORA",
            ["task_type"] = "CAUSAL_LM",
            ["base_model_name_or_path"] = BaseModel,
            ["r"] = Rank,
            ["lora_alpha"] = Alpha,
            ["target_modules"] = Strings(TargetModules),
            ["lora_dropout"] = 0.0,
            ["bias"] = "none",
            ["fan_in_fan_out"] = false,
            ["use_rslora"] = UseRsLora,
            ["use_dora"] = false,
            ["init_lora_weights"] = true,
            ["inference_mode"] = true,
            ["modules_to_save"] = ModulesToSave.Count == 0 ? null : Strings(ModulesToSave.Keys),
            ["trainable_token_indices"] = tokens,
            ["layers_to_transform"] = null,
            ["rank_pattern"] = new JsonObject(),
            ["alpha_pattern"] = new JsonObject(),
            ["revision"] = null,
        };
        File.WriteAllText(Path.Combine(dir, ConfigFile), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        var tensors = new List<TensorData>();
        foreach (var (m, l) in Lora.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            tensors.Add(TensorData.F32(LoraAName(m), l.A, l.Rank, l.In));
            tensors.Add(TensorData.F32(LoraBName(m), l.B, l.Out, l.Rank));
        }
        foreach (var (k, t) in TrainableTokens)
            tensors.Add(TensorData.F32(TokenRowsName(k), t.Rows, t.Ids.Length, t.Rows.Length / Math.Max(1, t.Ids.Length)));
        foreach (var (k, w) in ModulesToSave)
            tensors.Add(TensorData.F32(SavedModuleName(k), w, w.Length / HiddenOf(w), HiddenOf(w)));
        SafeTensorsWriter.Write(Path.Combine(dir, WeightsFile), tensors, new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>Hidden size recorded for whole saved modules (set by the writer through <see cref="Hidden"/>).</summary>
    public int Hidden { get; init; }
    int HiddenOf(float[] w) => Hidden > 0 ? Hidden : throw new QuantReasonException("saving modules_to_save needs Hidden", WeightsFile);

    // ---- reading ----------------------------------------------------------------------------------------------------

    /// <summary>Reads a PEFT LoRA adapter folder; every file, key and tensor problem is one error naming it.</summary>
    public static PeftAdapter Load(string dir)
    {
        if (!Directory.Exists(dir)) throw new QuantReasonException("adapter directory not found", dir);
        var configPath = Path.Combine(dir, ConfigFile);
        var weightsPath = Path.Combine(dir, WeightsFile);
        if (!File.Exists(configPath)) throw new QuantReasonException($"no {ConfigFile}: not a PEFT adapter folder", dir);
        if (!File.Exists(weightsPath))
            throw new QuantReasonException(File.Exists(Path.Combine(dir, "adapter_model.bin"))
                ? $"adapter_model.bin (pickle) is not read: save the adapter with safe_serialization (adapter_model.safetensors)"
                : $"no {WeightsFile} beside {ConfigFile}", dir);
        JsonNode root;
        try { root = JsonNode.Parse(File.ReadAllText(configPath)) ?? throw new QuantReasonException("empty adapter config", configPath); }
        catch (JsonException e) { throw new QuantReasonException($"malformed JSON: {e.Message}", configPath, e); }
        QuantReasonException Bad(string message) => new(message, configPath);
        string? Str(string key) => root[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        bool Flag(string key) => root[key] is JsonValue v && v.TryGetValue<bool>(out var b) && b;

        var peftType = Str("peft_type");
        if (peftType != "LORA") throw Bad($"peft_type is '{peftType ?? "missing"}', only LORA adapters are read");
        int rank = root["r"] is JsonValue rv && rv.TryGetValue<int>(out var r) ? r : throw Bad("missing or non-integer 'r' (the LoRA rank)");
        if (rank <= 0) throw Bad($"r must be positive, got {rank}");
        float alpha = root["lora_alpha"] is JsonValue av && av.TryGetValue<double>(out var a) ? (float)a : rank * 1f; // PEFT's default lora_alpha is 8 = r's default
        if (Flag("fan_in_fan_out")) throw Bad("fan_in_fan_out (GPT-2 Conv1D weights) is not supported by Llama-family bases");
        if (Flag("use_dora")) throw Bad("use_dora (DoRA) is not supported");
        if (Str("bias") is { } bias && bias != "none") throw Bad($"bias '{bias}' is not supported (only 'none')");
        foreach (var pattern in new[] { "rank_pattern", "alpha_pattern" })
            if (root[pattern] is JsonObject o && o.Count > 0) throw Bad($"{pattern} (per-module ranks) is not supported");
        if (root["layers_to_transform"] is JsonNode lt && lt.GetValueKind() != JsonValueKind.Null) throw Bad("layers_to_transform is not supported");

        bool regex;
        IReadOnlyList<string> targets;
        switch (root["target_modules"])
        {
            case JsonArray arr: targets = arr.Select(n => n?.GetValue<string>() ?? throw Bad("null in target_modules")).ToList(); regex = false; break;
            case JsonValue v when v.TryGetValue<string>(out var s): targets = [s]; regex = true; break;
            default: throw Bad("missing 'target_modules' (a list of module names or a regular expression)");
        }
        var modulesToSave = root["modules_to_save"] is JsonArray mts ? mts.Select(n => n!.GetValue<string>()).ToList() : [];
        foreach (var m in modulesToSave)
            if (m is not (EmbedModule or HeadModule)) throw Bad($"modules_to_save names '{m}': only {EmbedModule} and {HeadModule} are supported");
        var tokenIndices = new Dictionary<string, int[]>();
        switch (root["trainable_token_indices"])
        {
            case JsonArray ids: tokenIndices[EmbedModule] = ids.Select(n => n!.GetValue<int>()).ToArray(); break;
            case JsonObject o:
                foreach (var (k, v) in o)
                {
                    if (k is not (EmbedModule or HeadModule)) throw Bad($"trainable_token_indices names '{k}': only {EmbedModule} and {HeadModule} are supported");
                    tokenIndices[k] = (v as JsonArray ?? throw Bad($"trainable_token_indices.{k} must be a list of token ids")).Select(n => n!.GetValue<int>()).ToArray();
                }
                break;
        }

        using var f = SafeTensorsFile.Open(weightsPath);
        var where = weightsPath;
        var lora = new Dictionary<string, LoraWeights>(StringComparer.Ordinal);
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in f.Tensors.Keys.Where(n => n.EndsWith(".lora_A.weight", StringComparison.Ordinal)).OrderBy(n => n, StringComparer.Ordinal))
        {
            if (!name.StartsWith(Prefix, StringComparison.Ordinal)) throw new QuantReasonException($"tensor '{name}' lacks PEFT's '{Prefix}' prefix", where);
            var module = name[Prefix.Length..^".lora_A.weight".Length];
            if (!Targets(targets, regex, module))
                throw new QuantReasonException($"tensor '{name}' adapts module '{module}', which target_modules [{string.Join(", ", targets)}] does not name", where);
            var bName = LoraBName(module);
            if (!f.Contains(bName)) throw new QuantReasonException($"'{name}' has no matching '{bName}'", where);
            var ai = f.Info(name);
            var bi = f.Info(bName);
            if (ai.Shape.Length != 2 || bi.Shape.Length != 2)
                throw new QuantReasonException($"LoRA tensors of '{module}' must be matrices, got A {ai.ShapeString} and B {bi.ShapeString}", where);
            if (ai.Shape[0] != rank || bi.Shape[1] != rank)
                throw new QuantReasonException($"rank mismatch on '{module}': A {ai.ShapeString} and B {bi.ShapeString}, adapter_config.json says r = {rank}", where);
            int inDim = (int)ai.Shape[1], outDim = (int)bi.Shape[0];
            lora[module] = new LoraWeights(f.ReadF32(name), f.ReadF32(bName), rank, inDim, outDim);
            used.Add(name); used.Add(bName);
        }
        var tokens = new Dictionary<string, TokenRows>();
        foreach (var (k, ids) in tokenIndices)
        {
            var n = TokenRowsName(k);
            if (!f.Contains(n)) throw new QuantReasonException($"trainable_token_indices names {k} but the tensor '{n}' is missing", where);
            var info = f.Info(n);
            if (info.Shape.Length != 2 || info.Shape[0] != ids.Length)
                throw new QuantReasonException($"'{n}' is {info.ShapeString}, trainable_token_indices.{k} lists {ids.Length} tokens", where);
            if (ids.Any(i => i < 0) || ids.Distinct().Count() != ids.Length)
                throw new QuantReasonException($"trainable_token_indices.{k} must list distinct non-negative ids", configPath);
            tokens[k] = new TokenRows(ids, f.ReadF32(n));
            used.Add(n);
        }
        var saved = new Dictionary<string, float[]>();
        int hidden = 0;
        foreach (var k in modulesToSave)
        {
            var n = SavedModuleName(k);
            if (!f.Contains(n)) throw new QuantReasonException($"modules_to_save names {k} but the tensor '{n}' is missing", where);
            var info = f.Info(n);
            if (info.Shape.Length != 2) throw new QuantReasonException($"'{n}' is {info.ShapeString}, expected [vocab, hidden]", where);
            hidden = (int)info.Shape[1];
            saved[k] = f.ReadF32(n);
            used.Add(n);
        }
        var extra = f.Tensors.Keys.Where(n => !used.Contains(n)).OrderBy(n => n, StringComparer.Ordinal).ToList();
        if (extra.Count > 0) throw new QuantReasonException($"{extra.Count} tensor(s) the adapter config does not describe, e.g. '{extra[0]}'", where);
        if (lora.Count == 0 && tokens.Count == 0 && saved.Count == 0) throw new QuantReasonException("the adapter holds no LoRA, token or module weights", where);
        return new PeftAdapter
        {
            Rank = rank, Alpha = alpha, UseRsLora = Flag("use_rslora"), TargetModules = targets, BaseModel = Str("base_model_name_or_path"),
            Lora = lora, TrainableTokens = tokens, ModulesToSave = saved, Hidden = hidden,
        };
    }

    // ---- applying ---------------------------------------------------------------------------------------------------

    /// <summary>
    /// The base's weights with this adapter on top, unmerged: each adapted linear becomes a <see cref="LoraLinear"/> over
    /// the base's own (possibly packed) weight; trainable-token rows and saved modules replace vocabulary rows, growing
    /// the vocabulary when they name new ids. Old rows stay bit-identical (a bf16 matrix is widened exactly to f32).
    /// Throws when a module, shape or rank does not fit the base.
    /// </summary>
    public ModelWeights Apply(ModelWeights w, string adapterDir)
    {
        var cfg = w.Config;
        var where = Path.Combine(adapterDir, WeightsFile);
        int h = cfg.HiddenSize;
        var layers = w.Layers.Select(CopyOf).ToArray();
        var byPath = new Dictionary<string, (int Layer, Projection P)>(StringComparer.Ordinal);
        for (int i = 0; i < cfg.NumLayers; i++)
            foreach (var spec in cfg.Architecture.Wiring.Projections) byPath[WeightNames.Layer(i, spec.Name)] = (i, spec.Id);
        foreach (var (module, l) in Lora)
        {
            if (!byPath.TryGetValue(module, out var at))
                throw new QuantReasonException($"adapter module '{module}' is not a linear of the base ({cfg.Architecture.HfClass}, {cfg.NumLayers} layers)", where);
            var baseWeight = layers[at.Layer][at.P];
            if (baseWeight.InFeatures != l.In || baseWeight.OutFeatures != l.Out)
                throw new QuantReasonException($"adapter for '{module}' is [{l.Out}, {l.In}] (B·A), the base's weight is [{baseWeight.OutFeatures}, {baseWeight.InFeatures}]", where);
            layers[at.Layer][at.P] = new LoraLinear(baseWeight, l.A, l.B, l.Rank, Scale, module);
        }

        if (TrainableTokens.Count == 0 && ModulesToSave.Count == 0)
            return new ModelWeights { Config = cfg, Embedding = w.Embedding, Layers = layers, FinalNorm = w.FinalNorm, LmHead = w.LmHead, Quantization = w.Quantization };

        // Vocabulary rows: the grown size covers every id the adapter names and every saved matrix.
        int vocab = cfg.VocabSize;
        foreach (var (k, t) in TrainableTokens)
        {
            if (t.Rows.Length != (long)t.Ids.Length * h)
                throw new QuantReasonException($"{TokenRowsName(k)} has rows of {t.Rows.Length / Math.Max(1, t.Ids.Length)} values, the base's hidden size is {h}", where);
            vocab = Math.Max(vocab, t.Ids.Max() + 1);
        }
        foreach (var (k, m) in ModulesToSave)
        {
            if (m.Length % h != 0 || Hidden != h)
                throw new QuantReasonException($"{SavedModuleName(k)} has rows of {Hidden} values, the base's hidden size is {h}", where);
            vocab = Math.Max(vocab, m.Length / h);
        }
        bool tied = ReferenceEquals(w.LmHead, w.Embedding);
        float[] Grown(ILinearWeight m, string key)
        {
            var v = new float[(long)vocab * h]; // [vocab, hidden]
            if (ModulesToSave.TryGetValue(key, out var whole))
            {
                if (whole.Length != v.Length)
                    throw new QuantReasonException($"{SavedModuleName(key)} has {whole.Length / h} rows, the adapter's vocabulary is {vocab}", where);
                return (float[])whole.Clone();
            }
            m.ToF32().CopyTo(v, 0);
            return v;
        }
        var embed = Grown(w.Embedding, EmbedModule);
        var covered = new bool[vocab];
        Array.Fill(covered, true, 0, cfg.VocabSize);
        void Put(float[] dst, TokenRows t, bool[]? mark)
        {
            for (int i = 0; i < t.Ids.Length; i++)
            {
                t.Rows.AsSpan(i * h, h).CopyTo(dst.AsSpan(t.Ids[i] * h, h));
                if (mark is not null) mark[t.Ids[i]] = true;
            }
        }
        if (ModulesToSave.ContainsKey(EmbedModule)) Array.Fill(covered, true);
        if (TrainableTokens.TryGetValue(EmbedModule, out var et)) Put(embed, et, covered);
        if (covered.Contains(false))
            throw new QuantReasonException($"the adapter grows the vocabulary to {vocab} but gives no embedding row for token {Array.IndexOf(covered, false)}", where);
        var embedWeight = DenseLinear.FromF32(embed, vocab, h);
        ILinearWeight head;
        if (tied)
        {
            if (TrainableTokens.ContainsKey(HeadModule) || ModulesToSave.ContainsKey(HeadModule))
                throw new QuantReasonException("the adapter trains lm_head rows but the base ties lm_head to embed_tokens", where);
            head = embedWeight;
        }
        else
        {
            var hv = Grown(w.LmHead, HeadModule);
            var headCovered = new bool[vocab];
            Array.Fill(headCovered, true, 0, cfg.VocabSize);
            if (ModulesToSave.ContainsKey(HeadModule)) Array.Fill(headCovered, true);
            if (TrainableTokens.TryGetValue(HeadModule, out var ht)) Put(hv, ht, headCovered);
            if (headCovered.Contains(false))
                throw new QuantReasonException($"the adapter grows the vocabulary to {vocab} but gives no lm_head row for token {Array.IndexOf(headCovered, false)} (the base's lm_head is not tied)", where);
            head = vocab == cfg.VocabSize && !ModulesToSave.ContainsKey(HeadModule) && ht is null ? w.LmHead : DenseLinear.FromF32(hv, vocab, h);
        }
        return new ModelWeights
        {
            Config = cfg with { VocabSize = vocab }, Embedding = embedWeight, Layers = layers, FinalNorm = w.FinalNorm, LmHead = head, Quantization = w.Quantization,
        };
    }

    static LayerWeights CopyOf(LayerWeights l) => new()
    {
        InputNorm = l.InputNorm, PostAttentionNorm = l.PostAttentionNorm, Q = l.Q, K = l.K, V = l.V, O = l.O, Gate = l.Gate, Up = l.Up, Down = l.Down,
        QBias = l.QBias, KBias = l.KBias, VBias = l.VBias, QNorm = l.QNorm, KNorm = l.KNorm,
    };
}
