using System.Text.Json;
using System.Text.Json.Nodes;
using QuantReason.Tokenizers;

namespace QuantReason.Tests.Tokenizers;

/// <summary>
/// A Llama-3-shaped model folder written by the tests: tokenizer.json with the 256 byte tokens (id = byte value),
/// six merges, Llama 3's Split regex + ByteLevel, special added tokens and one non-special added token, plus
/// tokenizer_config.json and generation_config.json.
/// </summary>
public static class SmallByteLevelTokenizer
{
    public const int BeginOfText = 262, EotId = 263, StartHeader = 264, EndHeader = 265, Think = 266;
    public static readonly string[][] Merges = [["Ġ", "t"], ["h", "e"], ["Ġt", "he"], ["i", "n"], ["Ġ", "a"], ["1", "2"]];

    public const string Llama3Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    public static string WriteFolder(JsonNode? normalizer = null)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"quantreason-tok-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        var vocab = new JsonObject();
        for (var b = 0; b < 256; b++) vocab[ByteLevelMapping.ByteToChar((byte)b).ToString()] = b;
        var next = 256;
        foreach (var m in Merges) vocab[m[0] + m[1]] = next++;

        JsonObject Added(int id, string content, bool special) => new()
        {
            ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
            ["normalized"] = false, ["special"] = special,
        };
        var json = new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = new JsonArray(
                Added(BeginOfText, "<|begin_of_text|>", true), Added(EotId, "<|eot_id|>", true),
                Added(StartHeader, "<|start_header_id|>", true), Added(EndHeader, "<|end_header_id|>", true),
                Added(Think, "<think>", false)),
            ["normalizer"] = normalizer,
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = Llama3Pattern }, ["behavior"] = "Isolated", ["invert"] = false },
                    new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = false }),
            },
            ["post_processor"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["processors"] = new JsonArray(
                    new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = false, ["use_regex"] = true },
                    new JsonObject
                    {
                        ["type"] = "TemplateProcessing",
                        ["single"] = new JsonArray(
                            new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "<|begin_of_text|>", ["type_id"] = 0 } },
                            new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
                        ["special_tokens"] = new JsonObject
                        {
                            ["<|begin_of_text|>"] = new JsonObject { ["id"] = "<|begin_of_text|>", ["ids"] = new JsonArray(BeginOfText), ["tokens"] = new JsonArray("<|begin_of_text|>") },
                        },
                    }),
            },
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = true, ["use_regex"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null, ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = true,
                ["vocab"] = vocab,
                ["merges"] = new JsonArray(Merges.Select(m => (JsonNode)new JsonArray(m[0], m[1])).ToArray()),
            },
        };
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), new JsonObject
        {
            ["bos_token"] = "<|begin_of_text|>",
            ["eos_token"] = "<|eot_id|>",
            ["chat_template"] = "{{ bos_token }}{% for m in messages %}<|start_header_id|>{{ m.role }}<|end_header_id|>\n\n{{ m.content | trim }}<|eot_id|>{% endfor %}",
        }.ToJsonString());
        File.WriteAllText(Path.Combine(dir, "generation_config.json"), """{"bos_token_id": 262, "eos_token_id": [263, 262]}""");
        return dir;
    }

    public static ITokenizer Create(JsonNode? normalizer = null)
    {
        var dir = WriteFolder(normalizer);
        try { return TokenizerLoader.FromDirectory(dir); }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
