using System.Security.Cryptography;
using QuantReason.Evaluation.Runs;

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

    [Fact]
    public void Quantization_config_is_read_from_config_json()
    {
        Assert.Null(RunIdentity.Quantization(_dir));
        File.WriteAllText(Path.Combine(_dir, "config.json"),
            """{"quantization_config": {"quant_method": "gptq", "bits": 4, "group_size": 128, "sym": false, "desc_act": true}}""");
        Assert.Equal(new QuantizationInfo("gptq", 4, 128, false, true, null), RunIdentity.Quantization(_dir));
        File.WriteAllText(Path.Combine(_dir, "config.json"), """{"quantization_config": {"quant_method": "w8a8", "bits": 8, "group_size": -1}}""");
        Assert.Equal("smoothquant", RunIdentity.Quantization(_dir)!.Method);
        // RTN stored in the GPTQ layout is recorded as RTN
        File.WriteAllText(Path.Combine(_dir, "config.json"),
            """{"quantization_config": {"quant_method": "gptq", "bits": 3, "group_size": 32, "meta": {"quantizer": "quantreason", "method": "rtn"}}}""");
        Assert.Equal("rtn", RunIdentity.Quantization(_dir)!.Method);
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
