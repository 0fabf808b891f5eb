using QuantReason.Quantization.Model;
using QuantReason.Tests.Quantization.Model;
using QuantReason.Training;
using QuantReason.Weights;

namespace QuantReason.Tests.Training;

/// <summary>
/// QLoRA over a quantized checkpoint: <see cref="TrainableModel.Load"/> keeps the packed linears as frozen bases, and the
/// adapters' gradients must equal those of plain LoRA over the dense weights the packed ones dequantize to. The shared
/// folder holds no quantized model checkpoints (fixtures/gptq is one layer's reference quantization), so each test
/// quantizes a shared tiny checkpoint with the toolkit's GPTQ, AWQ, RTN and trit-plane (PTQTP) writers first.
/// </summary>
public class TrainableModelQloraTests
{
    public static TheoryData<string, QuantMethod> ModelsTimesMethods()
    {
        var data = new TheoryData<string, QuantMethod>();
        foreach (string m in Shared.Folders("fixtures", "training"))
            foreach (var q in new[] { QuantMethod.Gptq, QuantMethod.Awq, QuantMethod.Rtn, QuantMethod.Ptqtp }) data.Add(m, q);
        return data;
    }

    [SharedTheory]
    [MemberData(nameof(ModelsTimesMethods))]
    public void Adapter_gradients_over_a_packed_base_equal_lora_over_its_dequantized_weights(string model, QuantMethod method)
    {
        using var fx = new TrainingFixture(model);
        using var q = new QuantizeFixture(model);
        var dir = q.Out(method.ToString().ToLowerInvariant());
        ModelQuantizer.Run(q.Source, dir, q.Options(method));

        var packed = TrainableModel.Load(dir);
        Assert.All(packed.Linears, l => Assert.IsNotType<DenseLinear>(l.FrozenBase));
        Assert.All(packed.Linears, l => Assert.True(l.Weight.Released));
        // The reference: the same checkpoint with every linear's packed weight dequantized into an ordinary f32 weight.
        var dense = TrainableModel.Load(dir);
        foreach (var l in dense.Linears) l.MergeLora();
        Assert.All(dense.Linears, l => Assert.Null(l.FrozenBase));
        // memory stays packed: the frozen bases hold well under half the bytes of the f32 weights they stand for
        long packedBytes = packed.Linears.Sum(l => l.FrozenBase!.ByteSize), f32Bytes = packed.Linears.Sum(l => 4L * l.In * l.Out);
        Assert.True(packedBytes < f32Bytes / 2, $"packed bases hold {packedBytes} bytes, their f32 weights {f32Bytes}");
        Assert.True(packed.StateBytes < dense.StateBytes, $"packed model state {packed.StateBytes} bytes, dense {dense.StateBytes}");

        var batch = fx.Batch("input_ids", "loss_mask");
        var losses = new List<float>();
        var grads = new List<float[]>();
        foreach (var m in new[] { packed, dense })
        {
            m.AddLora(new LoraOptions(4, 8f, ["q_proj", "v_proj", "down_proj"], Seed: 3));
            var rng = new Random(4); // B ≠ 0, so A gets a gradient too
            foreach (var l in m.Linears.Where(l => l.Lora is not null))
                for (int i = 0; i < l.Lora!.B.Value.Length; i++) l.Lora.B.Value[i] = (float)(rng.NextDouble() - 0.5) * 0.1f;
            m.ZeroGrad();
            losses.Add(CausalLmLoss.ForwardBackward(m, batch).Loss);
            grads.AddRange(m.Adapters.Select(a => a.Grad!));
            Assert.All(m.Linears, l => Assert.Null(l.Weight.Grad)); // nothing reaches the frozen base
        }
        TrainingFixture.AssertClose([losses[1]], [losses[0]], 1e-5, $"{method} loss");
        int half = grads.Count / 2;
        var names = dense.Adapters.Select(a => a.Name).ToList();
        for (int i = 0; i < half; i++) TrainingFixture.AssertClose(grads[half + i], grads[i], 1e-5, $"{method} {names[i]}");
        Assert.Contains(grads.Take(half), g => g.Any(v => v != 0));
    }
}
