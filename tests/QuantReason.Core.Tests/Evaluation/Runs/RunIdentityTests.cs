using System.Security.Cryptography;
using System.Text.Json.Nodes;
using QuantReason.Evaluation.Runs;
using QuantReason.Models;
using QuantReason.Quantization;
using QuantReason.Quantization.Model;
using QuantReason.Tests.Quantization.Model;
using QuantReason.Weights;

namespace QuantReason.Tests.Evaluation.Runs;

public sealed class RunIdentityTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("qr-identity-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void The_weight_digest_hashes_the_shards_in_name_order()
    {
        File.WriteAllBytes(Path.Combine(_dir, "model-00002-of-00002.safetensors"), [3, 4]);
        File.WriteAllBytes(Path.Combine(_dir, "model-00001-of-00002.safetensors"), [1, 2]);
        File.WriteAllText(Path.Combine(_dir, "config.json"), "{}");
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(new byte[] { 1, 2, 3, 4 })), RunIdentity.WeightDigest(_dir));
    }

    [Fact]
    public void A_directory_without_weights_is_an_error_naming_it()
    {
        var e = Assert.Throws<QuantReasonException>(() => RunIdentity.WeightDigest(_dir));
        Assert.Contains(_dir, e.Message);
    }

    static QuantizationInfo? Recorded(string dir) => RunIdentity.Quantization(CheckpointQuantization.Load(dir), null);

    [Fact]
    public void Quantization_config_is_read_from_config_json()
    {
        Assert.Null(Recorded(_dir));
        File.WriteAllText(Path.Combine(_dir, "config.json"),
            """{"quantization_config": {"quant_method": "gptq", "bits": 4, "group_size": 128, "sym": false, "desc_act": true}}""");
        Assert.Equal(new QuantizationInfo("gptq", 4, 128, false, true, null), Recorded(_dir));
        File.WriteAllText(Path.Combine(_dir, "config.json"), """{"quantization_config": {"quant_method": "w8a8", "bits": 8, "group_size": -1}}""");
        Assert.Equal("smoothquant", Recorded(_dir)!.Method);
        // RTN stored in the GPTQ layout is recorded as RTN
        File.WriteAllText(Path.Combine(_dir, "config.json"),
            """{"quantization_config": {"quant_method": "gptq", "bits": 3, "group_size": 32, "meta": {"quantizer": "quantreason", "method": "rtn"}}}""");
        Assert.Equal("rtn", Recorded(_dir)!.Method);
        // AWQ with a zero point is an asymmetric grid
        File.WriteAllText(Path.Combine(_dir, "config.json"),
            """{"quantization_config": {"quant_method": "awq", "bits": 4, "group_size": 64, "zero_point": true, "version": "gemm"}}""");
        Assert.Equal(new QuantizationInfo("awq", 4, 64, false, false, null), Recorded(_dir));
    }

    /// <summary>A GPTQ checkpoint whose settings live only in AutoGPTQ's quantize_config.json is evaluated quantized, so
    /// it must be recorded quantized: the manifest takes its settings from the loaded model, not from a second parser.</summary>
    [SharedFact]
    public void A_quantize_config_only_checkpoint_is_recorded_from_the_loaded_model()
    {
        foreach (var fixture in Directory.GetDirectories(Shared.PathOf("fixtures", "models")).Select(Path.GetFileName).Order(StringComparer.Ordinal))
        {
            var cfg = ModelConfig.Load(Shared.PathOf("fixtures", "models", fixture!));
            if (QuantizeFixture.GroupSizeOf(cfg) != 32) continue;
            using var fx = new QuantizeFixture(fixture!);
            var dir = fx.Out("q");
            ModelQuantizer.Run(fx.Source, dir, fx.Options(QuantMethod.Gptq));
            // Move the settings out of config.json as AutoGPTQ lays them out, dropping the toolkit's own meta.
            var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!.AsObject();
            var q = config["quantization_config"]!.AsObject();
            config.Remove("quantization_config");
            q.Remove("meta");
            File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
            File.WriteAllText(Path.Combine(dir, "quantize_config.json"), q.ToJsonString());

            var model = QuantReason.Runtime.Model.Load(dir);
            var recorded = RunIdentity.Quantization(model.Weights.Quantization, null);
            Assert.Equal(new QuantizationInfo("gptq", 4, 32, false, false, null), recorded);
        }
    }

    [Fact]
    public void A_dataset_is_named_by_its_catalogue_name_or_its_file()
    {
        var file = Path.Combine(_dir, "mine.jsonl");
        File.WriteAllText(file, "{}\n");
        var info = RunIdentity.Dataset(file, file, 1, Path.Combine(_dir, "runs", "r1"));
        Assert.Equal(("mine.jsonl", 1), (info.Name, info.Size));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file))), info.Digest);
        Assert.Equal("gsm8k", RunIdentity.Dataset("GSM8K", file, 1, _dir).Name);
        // recorded relative to the run directory, so the manifest is the same on every machine and checkout
        Assert.Equal("../../mine.jsonl", info.Path);
        Assert.Equal("mine.jsonl", RunIdentity.Portable(file, _dir));
    }
}
