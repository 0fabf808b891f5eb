using QuantReason.Tensors;
using QuantReason.Training;

namespace QuantReason.Tests.Training;

/// <summary>Opens a discovered ../shared/fixtures/training/&lt;model&gt; reference and its model weights.</summary>
sealed class TrainingFixture : IDisposable
{
    public SafeTensorsFile File { get; }
    public string ModelDir { get; }

    public TrainingFixture(string model)
    {
        File = SafeTensorsFile.Open(Shared.PathOf("fixtures", "training", model, "gradients.safetensors"));
        ModelDir = Shared.PathOf("fixtures", "models", model);
    }

    public TokenBatch Batch(string ids, string mask)
    {
        var shape = File.Info(ids).Shape;
        return TokenBatch.FromI64(File.ReadI64(ids), File.ReadI64(mask), (int)shape[0], (int)shape[1]);
    }

    public float Scalar(string name) => File.ReadF32(name)[0];

    /// <summary>LoRA as the fixture describes it (rank 4, alpha 8 on q_proj and v_proj), adapters set to its values.</summary>
    public TrainableModel LoraModel()
    {
        var model = TrainableModel.Load(ModelDir);
        model.AddLora(new LoraOptions(4, 8f, ["q_proj", "v_proj"]));
        foreach (var l in model.Linears.Where(l => l.Lora is not null))
        {
            File.ReadF32($"lora.{l.Module}.lora_A", l.Lora!.A.Shape).CopyTo(l.Lora.A.Value, 0);
            File.ReadF32($"lora.{l.Module}.lora_B", l.Lora.B.Shape).CopyTo(l.Lora.B.Value, 0);
        }
        return model;
    }

    /// <summary>max|actual − expected| / max|expected| ≤ tol, the acceptance measure per tensor.</summary>
    public static void AssertClose(float[] expected, float[] actual, double tol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double maxRef = 0, maxDiff = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            maxRef = Math.Max(maxRef, Math.Abs(expected[i]));
            maxDiff = Math.Max(maxDiff, Math.Abs(expected[i] - (double)actual[i]));
        }
        double rel = maxRef == 0 ? maxDiff : maxDiff / maxRef;
        Assert.True(rel <= tol, $"{what}: relative max-abs error {rel:E2} > {tol:E0} (max diff {maxDiff:E2}, max ref {maxRef:E2})");
    }

    public void Dispose() => File.Dispose();
}
