using QuantReason.Models;
using QuantReason.Training;

namespace QuantReason.Tests.Training;

public class Int4RtnBaseTests
{
    [Fact]
    public void Packed_nibbles_unpack_to_the_four_bit_rtn_codes()
    {
        var w = Ops.GradCheck.Random(new Random(1), 7 * 33, 2f); // odd total: the last byte is half used
        var packed = Int4RtnBase.Quantize(w, 7, 33, 16);
        var reference = FakeQuantizer.Dequantize(FakeQuantizer.Quantize(w, 7, 33, new FakeQuantOptions(4, 16)));
        Assert.Equal(reference, packed.Dequantize());
        Assert.Equal((7 * 33 + 1) / 2, packed.Packed.Length);
        // RTN error is at most half a step of each group's scale.
        var d = packed.Dequantize();
        for (int i = 0; i < w.Length; i++)
            Assert.True(Math.Abs(w[i] - d[i]) <= 0.5f * packed.Scales[(i / 33) * 3 + (i % 33) / 16] + 1e-6f);
    }

    [Fact]
    public void Qlora_trains_adapters_on_a_frozen_int4_base()
    {
        var cfg = TinyConfigs.Of(ArchitectureKind.Llama);
        var m = TinyConfigs.RandomModel(cfg, 3);
        m.QuantizeBase(8);
        m.AddLora(new LoraOptions(2, 4f, ["q_proj", "v_proj", "down_proj"], Seed: 1));
        var baseValues = m.Linears.Select(l => (float[])l.ForwardWeight().Clone()).ToList();
        foreach (var l in m.Linears) Assert.Equal(((Int4RtnBase)l.FrozenBase!).Dequantize(), l.ForwardWeight());

        var batch = TinyConfigs.Batch(cfg.VocabSize, 4, 10, 5);
        var opt = new AdamW(m.Trainable, new AdamWOptions(WeightDecay: 0f));
        float first = 0, last = 0;
        for (int s = 0; s < 30; s++)
        {
            m.ZeroGrad();
            var l = CausalLmLoss.ForwardBackward(m, batch);
            if (s == 0) first = l.Loss;
            last = l.Loss;
            opt.Update(1e-2f);
        }
        Assert.True(last < first * 0.9, $"QLoRA loss {first} → {last} did not fall");
        Assert.All(m.Parameters, p => Assert.False(p.Trainable));
        foreach (var (l, b) in m.Linears.Zip(baseValues)) Assert.Equal(b, l.ForwardWeight()); // the base never moved
    }
}
