using QuantReason.Quantization.Model;
using QuantReason.Runtime;
using QuantReason.Tests.Jobs;
using QuantReason.Training;
using Xunit;

namespace QuantReason.Tests.Training;

/// <summary>The trainer's emulation of a quantized checkpoint computes what the runtime computes from the packed weights.</summary>
public class DequantizedBaseTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("qr-dequant-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [ReferenceModelTheory]
    [InlineData(QuantMethod.Rtn, 2)]
    [InlineData(QuantMethod.Ptqtp, 2)]
    public void Logits_equal_the_runtimes_over_the_packed_checkpoint(QuantMethod method, int bits)
    {
        var quantized = Path.Combine(_dir, "q");
        ModelQuantizer.Run(StudyRunnerTests.Model, quantized, QuantizeOptions.Create(method, bits, 32));
        var runtime = Model.Load(quantized);
        runtime.Transformer.Precision = ActivationPrecision.F32;
        int[] ids = [1, 20, 15, 11, 22, 30, 4, 7, 25, 9];
        var expected = runtime.Transformer.Forward([new SequenceChunk(runtime.Transformer.NewCache(), ids)], LogitsMode.All);

        var trainable = DequantizedBase.Load(quantized);
        TrainingFixture.AssertClose(expected, trainable.Forward(ids, 1, ids.Length), 1e-4, $"{method} logits");
        // and differs from full precision by what quantization changed: the emulation is not the f32 model
        var fp = TrainableModel.Load(StudyRunnerTests.Model).Forward(ids, 1, ids.Length);
        Assert.True(expected.Zip(fp).Max(x => Math.Abs(x.First - x.Second)) > 1e-2);

        // written as a checkpoint, it loads back (trainer and runtime) to the same weights
        var dense = Path.Combine(_dir, "dense");
        DequantizedBase.Write(quantized, dense);
        TrainingFixture.AssertClose(expected, TrainableModel.Load(dense).Forward(ids, 1, ids.Length), 1e-4, "reloaded");
        Assert.True(File.Exists(Path.Combine(dense, "tokenizer.json")));
    }
}
