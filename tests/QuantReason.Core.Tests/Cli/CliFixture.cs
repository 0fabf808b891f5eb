using System.Text.Json;
using QuantReason.Tokenizers;

namespace QuantReason.Tests.Cli;

/// <summary>
/// A runnable model directory for end-to-end CLI tests: an f32 fixture checkpoint from ../shared (copied to a temp
/// folder, never into the repo) with a byte-level BPE tokenizer.json written here, whose ids all fall inside the
/// fixture's 384-token vocabulary: 256 byte tokens, a few merges, and two special tokens.
/// </summary>
public sealed class CliFixture : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("qr-cli-").FullName;
    public const int EotId = 300;

    public CliFixture()
    {
        if (Shared.Root is null) return;
        var src = Directory.GetDirectories(Shared.PathOf("fixtures", "models")).Order(StringComparer.Ordinal)
            .First(d => File.ReadAllText(Path.Combine(d, "config.json")).Contains("\"float32\""));
        foreach (var f in new[] { "config.json", "model.safetensors", "generation_config.json" })
            File.Copy(Path.Combine(src, f), Path.Combine(Dir, f));
        File.WriteAllText(Path.Combine(Dir, "tokenizer.json"), TokenizerJson());
    }

    /// <summary>The test tokenizer.json (also used by the quantizer tests to make fixture copies runnable).</summary>
    public static string TokenizerJson()
    {
        var vocab = new Dictionary<string, int>();
        for (int b = 0; b < 256; b++) vocab[ByteLevelMapping.ByteToChar((byte)b).ToString()] = b;
        string[] merges = ["Ġ t", "h e", "Ġt he", "i n", "Ġ a", "e r", "Ġ s", "o n", "Ġ =", "1 2"];
        foreach (var m in merges) vocab[m.Replace(" ", "")] = vocab.Count;
        var doc = new
        {
            version = "1.0",
            added_tokens = new object[]
            {
                new { id = EotId, content = "<|eot|>", single_word = false, lstrip = false, rstrip = false, normalized = false, special = true },
                new { id = EotId + 1, content = "<|bos|>", single_word = false, lstrip = false, rstrip = false, normalized = false, special = true },
            },
            normalizer = (object?)null,
            pre_tokenizer = new { type = "ByteLevel", add_prefix_space = false, trim_offsets = true, use_regex = true },
            post_processor = (object?)null,
            decoder = new { type = "ByteLevel", add_prefix_space = true, trim_offsets = true, use_regex = true },
            model = new
            {
                type = "BPE", dropout = (object?)null, unk_token = (object?)null, continuing_subword_prefix = (object?)null,
                end_of_word_suffix = (object?)null, fuse_unk = false, byte_fallback = false, ignore_merges = false,
                vocab, merges,
            },
        };
        return JsonSerializer.Serialize(doc);
    }

    public void Dispose() => Directory.Delete(Dir, true);
}
