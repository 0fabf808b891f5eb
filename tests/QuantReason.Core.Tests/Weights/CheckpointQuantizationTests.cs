using QuantReason.Quantization;
using QuantReason.Quantization.Model;
using QuantReason.Weights;
using QuantReason.Tests;
using QuantReason.Tests.Quantization;
using QuantReason.Tests.Quantization.Model;

namespace QuantReason.Tests.Weights;

public sealed class CheckpointQuantizationTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("qr-ckq-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    CheckpointQuantization? Load(string? quantizationConfig, params (string Name, string Json)[] files)
    {
        File.WriteAllText(Path.Combine(_dir, "config.json"),
            quantizationConfig is null ? "{\"model_type\": \"llama\"}" : $"{{\"model_type\": \"llama\", \"quantization_config\": {quantizationConfig}}}");
        foreach (var (n, j) in files) File.WriteAllText(Path.Combine(_dir, n), j);
        return CheckpointQuantization.Load(_dir);
    }

    [Fact]
    public void DenseCheckpointsHaveNone() => Assert.Null(Load(null));

    [Fact]
    public void TransformersGptqConfig()
    {
        // As transformers / optimum write it, with keys this reader does not need.
        var q = Load("""{"bits": 4, "group_size": 128, "desc_act": true, "sym": true, "quant_method": "gptq", "use_exllama": true, "dataset": null, "checkpoint_format": "gptq"}""")!;
        Assert.Equal(CheckpointQuantMethod.Gptq, q.Method);
        Assert.Equal(new GptqConfig(4, 128, DescAct: true, Sym: true), q.Gptq);
        Assert.Equal(GptqCheckpointFormat.V1, q.Gptq!.Zeros);
    }

    [Fact]
    public void AutoGptqQuantizeConfigWithoutConfigEntry()
    {
        var q = Load(null, ("quantize_config.json", """{"bits": 3, "group_size": -1, "desc_act": false, "sym": false, "checkpoint_format": "gptq_v2"}"""))!;
        Assert.Equal(CheckpointQuantMethod.Gptq, q.Method);
        Assert.Equal(3, q.Gptq!.Bits);
        Assert.Equal(GptqCheckpointFormat.V2, q.Gptq.Zeros);
    }

    [Fact]
    public void AwqInTransformersAndAutoAwqKeys()
    {
        var t = Load("""{"quant_method": "awq", "bits": 4, "group_size": 64, "zero_point": true, "version": "gemm", "modules_to_not_convert": null}""")!;
        Assert.Equal(new AwqConfig(4, 64, true, "gemm"), t.Awq);
        var a = Load(null, ("quant_config.json", """{"zero_point": false, "q_group_size": 128, "w_bit": 4, "version": "GEMM"}"""))!;
        Assert.Equal(CheckpointQuantMethod.Awq, a.Method);
        Assert.Equal(new AwqConfig(4, 128, false, "gemm"), a.Awq);
        var e = Assert.Throws<QuantReasonException>(() => Load("""{"quant_method": "awq", "bits": 4, "group_size": 128, "version": "gemv"}"""));
        Assert.Contains("AWQ version 'gemv' is not supported", e.Message);
    }

    [Fact]
    public void PackedLayoutsAndUnsupportedMethods()
    {
        Assert.Equal(PackedQuantConfig.W8A8(0.5), Load("""{"quant_method": "w8a8", "bits": 8, "group_size": -1, "activations": "int8-per-token-dynamic", "smoothquant_alpha": 0.5}""")!.Packed);
        Assert.Equal(PackedQuantConfig.Ptqtp(64), Load("""{"quant_method": "ptqtp", "bits": 2, "group_size": 64, "planes": 2}""")!.Packed);
        var e = Assert.Throws<QuantReasonException>(() => Load("""{"quant_method": "bitsandbytes", "load_in_4bit": true}"""));
        Assert.Contains("quantization method 'bitsandbytes' is not supported; supported: gptq, awq, w8a8, ptqtp", e.Message);
        Assert.Contains("config.json: quantization_config", e.Message);
    }

    [Fact]
    public void A_checkpoint_records_the_activation_and_kv_cache_schemes_it_runs_with()
    {
        var none = Load("""{"bits": 4, "group_size": 32, "sym": true, "quant_method": "gptq"}""")!;
        Assert.Null(none.Activations);
        Assert.Null(none.KvCache);
        var qc = System.Text.Json.Nodes.JsonNode.Parse("""{"bits": 4, "group_size": 32, "sym": true, "quant_method": "gptq"}""")!.AsObject();
        ActivationScheme.Record(qc, new ActivationScheme(4), new ActivationScheme(4, 16));
        var q = Load(qc.ToJsonString())!;
        Assert.Equal(new ActivationScheme(4), q.Activations);
        Assert.Equal(new ActivationScheme(4, 16), q.KvCache);
        Assert.EndsWith("; activations a4; kv cache kv4g16", q.Describe());
        var e = Assert.Throws<QuantReasonException>(() => Load("""{"bits": 4, "group_size": 32, "quant_method": "gptq", "input_activations": {"num_bits": 4, "dynamic": false}}"""));
        Assert.Contains("quantization_config.input_activations", e.Message);
    }
}
