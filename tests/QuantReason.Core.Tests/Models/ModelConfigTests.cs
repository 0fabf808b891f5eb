using System.Text.Json;
using QuantReason.Models;

namespace QuantReason.Tests.Models;

public class ModelConfigTests(Xunit.Abstractions.ITestOutputHelper output)
{
    static ModelConfig Parse(string json) => ModelConfig.Parse(JsonDocument.Parse(json).RootElement, "config.json");

    const string Llama32Old = """
        {"architectures": ["LlamaForCausalLM"], "hidden_size": 2048, "intermediate_size": 8192, "num_hidden_layers": 16,
         "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256, "rms_norm_eps": 1e-5,
         "rope_theta": 500000.0, "max_position_embeddings": 131072, "tie_word_embeddings": true,
         "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                          "original_max_position_embeddings": 8192, "rope_type": "llama3"},
         "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009], "torch_dtype": "bfloat16"}
        """;

    [Fact]
    public void ReadsTheOlderFormOfLlama32()
    {
        var c = Parse(Llama32Old);
        Assert.Equal(ArchitectureKind.Llama, c.Architecture.Kind);
        Assert.Equal(64, c.HeadDim);
        Assert.Equal(RopeType.Llama3, c.Rope.Type);
        Assert.Equal(32, c.Rope.Factor);
        Assert.Equal(8192, c.Rope.OriginalMaxPositionEmbeddings);
        Assert.Equal([128001, 128008, 128009], c.EosTokenIds);
        Assert.True(c.TieWordEmbeddings);
        // Llama-3.2-1B has 1.236 billion parameters (tied embeddings).
        Assert.Equal(1_235_814_400, c.ParameterCount);
    }

    [Theory]
    [InlineData("\"vocab_size\": 128256", "\"vocab_size\": 2147483648", "'vocab_size' is 2147483648, not a 32-bit integer")]
    [InlineData("\"hidden_size\": 2048", "\"hidden_size\": 20.5", "'hidden_size' is 20.5, not a 32-bit integer")]
    [InlineData("\"eos_token_id\": [128001, 128008, 128009]", "\"eos_token_id\": [4294967296]", "'eos_token_id' holds 4294967296")]
    [InlineData("\"rms_norm_eps\": 1e-5", "\"rms_norm_eps\": 1e999", "'rms_norm_eps' is 1e999, not a finite number")]
    [InlineData("\"architectures\": [\"LlamaForCausalLM\"]", "\"architectures\": [7], \"model_type\": \"llama\"", null)]
    public void Out_of_range_numbers_are_named_not_overflowed(string from, string to, string? expected)
    {
        var json = Llama32Old.Replace(from, to);
        Assert.NotEqual(Llama32Old, json);
        if (expected is null) { Assert.Equal(ArchitectureKind.Llama, Parse(json).Architecture.Kind); return; }
        Assert.Contains(expected, Assert.Throws<QuantReasonException>(() => Parse(json)).Message);
    }

    [Fact]
    public void A_config_that_is_not_an_object_is_refused()
    {
        Assert.Contains("expected a JSON object", Assert.Throws<QuantReasonException>(() => Parse("[1, 2]")).Message);
    }

    [SharedTheory, MemberData(nameof(Fixtures))]
    public void ReadsEveryFixtureConfig(string name)
    {
        var c = ModelConfig.Load(Shared.PathOf("fixtures", "models", name));
        Assert.True(c.HeadDim * c.NumHeads == c.QDim);
        Assert.Contains(c.Architecture, ArchitectureTraits.Table);
    }

    public static TheoryData<string> Fixtures => Shared.Folders("fixtures", "models");

    [Fact]
    public void Llama3RopeScalesLowFrequenciesOnly()
    {
        var rope = Parse(Llama32Old).Rope;
        var plain = new RopeScaling(RopeType.Default, 500000).InverseFrequencies(64);
        var scaled = rope.InverseFrequencies(64);
        Assert.Equal(plain[0], scaled[0]);                  // high frequency: untouched
        Assert.Equal(plain[^1] / 32f, scaled[^1], 1e-12f);  // lowest frequency: divided by the factor
    }

    [Theory]
    [InlineData("{\"architectures\": [\"MistralForCausalLM\"], \"hidden_size\": 8}", "unsupported architecture")]
    [InlineData("{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": 64, \"intermediate_size\": 8, \"num_hidden_layers\": 1, \"num_attention_heads\": 4, \"vocab_size\": 10, \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4}}", "unsupported rope type 'yarn'")]
    [InlineData("{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": 64, \"num_hidden_layers\": 1, \"num_attention_heads\": 4, \"vocab_size\": 10}", "intermediate_size")]
    [InlineData("{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": 64, \"intermediate_size\": 8, \"num_hidden_layers\": 1, \"num_attention_heads\": 4, \"num_key_value_heads\": 3, \"vocab_size\": 10}", "multiple of num_key_value_heads")]
    public void BadConfigsGetOneClearError(string json, string expected)
    {
        var e = Assert.Throws<QuantReasonException>(() => Parse(json));
        Assert.Contains(expected, e.Message);
        Assert.Contains("config.json", e.Message);
    }

    /// <summary>
    /// 30 seeded mutations of each real config.json and 8 of its generation_config.json, each loaded with the real
    /// weights: the model loads, or fails with one short line (no overflow, no absurd allocation from a declared size).
    /// </summary>
    [SharedFact]
    public void Mutated_configs_of_real_checkpoints_load_or_fail_cleanly()
    {
        var scratch = Directory.CreateTempSubdirectory("qr-config-fuzz-").FullName;
        try
        {
            IEnumerable<Fuzz.Case> Cases()
            {
                int seed = 100;
                foreach (var source in Fuzz.ModelDirs())
                {
                    var dir = Fuzz.CopyOf(source, scratch, "config.json", "generation_config.json", "model.safetensors");
                    foreach (var (file, count) in new[] { ("config.json", 30), ("generation_config.json", 8) })
                    {
                        var original = File.ReadAllBytes(Path.Combine(source, file));
                        foreach (var c in Fuzz.JsonMutations(original, ++seed, count)) yield return c.For(Path.Combine(dir, file));
                        File.WriteAllBytes(Path.Combine(dir, file), original);
                    }
                }
            }
            Fuzz.Run(Cases(), c => Fuzz.LoadModel(Path.GetDirectoryName(c.Target)!), Fuzz.ModelTimeBound(), 64L << 20)
                .AssertClean(output, "config");
        }
        finally { Directory.Delete(scratch, true); }
    }
}
