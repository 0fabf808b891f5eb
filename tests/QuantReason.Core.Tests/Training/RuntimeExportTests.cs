using QuantReason.Models;
using QuantReason.Runtime;
using QuantReason.Training;

namespace QuantReason.Tests.Training;

public class RuntimeExportTests
{
    /// <summary>The rollouts sample from the exported model, so its logits must be the training forward's — under fake
    /// quantization too, where the runtime must see dequantize(quantize(W)), not the f32 masters.</summary>
    [Theory]
    [InlineData(ArchitectureKind.Llama, 0)]
    [InlineData(ArchitectureKind.Qwen3, 0)]
    [InlineData(ArchitectureKind.Qwen2, 3)]
    [InlineData(ArchitectureKind.Llama, 2)]
    public void Exported_runtime_logits_equal_the_training_forward(ArchitectureKind kind, int bits)
    {
        var cfg = TinyConfigs.Of(kind);
        var m = TinyConfigs.RandomModel(cfg, 121);
        if (bits > 0) m.SetFakeQuant(new FakeQuantOptions(bits, 8));
        int[] ids = [1, 5, 2, 9, 3, 3, 7, 0, 11];
        var trained = m.Forward(ids, 1, ids.Length).ToArray();
        var runtime = RuntimeExport.ToRuntime(m).Transformer;
        var logits = runtime.Forward([new SequenceChunk(runtime.NewCache(), ids)], LogitsMode.All);
        Assert.Equal(trained.Length, logits.Length);
        double maxDiff = trained.Zip(logits).Max(p => Math.Abs(p.First - p.Second));
        double scale = trained.Max(x => Math.Abs(x));
        Assert.True(maxDiff <= 1e-4 * Math.Max(1, scale), $"max |Δlogit| {maxDiff:G3} (logits up to {scale:G3})");
        if (bits > 0)
        {
            m.SetFakeQuant(null);
            var masters = m.Forward(ids, 1, ids.Length);
            Assert.True(masters.Zip(logits).Max(p => Math.Abs(p.First - p.Second)) > 100 * maxDiff, "the export must carry the fake-quantized weights");
        }
    }

    [Fact]
    public void The_export_is_a_copy_later_updates_do_not_reach_it()
    {
        var cfg = TinyConfigs.Of(ArchitectureKind.Llama);
        var m = TinyConfigs.RandomModel(cfg, 122);
        int[] ids = [2, 4, 6];
        var runtime = RuntimeExport.ToRuntime(m).Transformer;
        var before = runtime.Forward([new SequenceChunk(runtime.NewCache(), ids)], LogitsMode.Last).ToArray();
        foreach (var p in m.Parameters) for (int i = 0; i < p.Value.Length; i++) p.Value[i] *= 1.5f;
        var after = runtime.Forward([new SequenceChunk(runtime.NewCache(), ids)], LogitsMode.Last);
        Assert.Equal(before, after);
    }

    [Fact]
    public void A_model_with_adapters_is_refused_with_the_module_named()
    {
        var m = TinyConfigs.RandomModel(TinyConfigs.Of(ArchitectureKind.Llama), 123);
        m.AddLora(new LoraOptions(2, 4, ["q_proj"]));
        var e = Assert.Throws<QuantReasonException>(() => RuntimeExport.ToRuntime(m));
        Assert.Contains("q_proj", e.Where);
    }
}
