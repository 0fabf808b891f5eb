using QuantReason.Tensors;

namespace QuantReason.Tests.Quantization;

/// <summary>Writes tensors to a temporary safetensors file and opens it; deletes it on dispose.</summary>
sealed class TempSafeTensors : IDisposable
{
    readonly string _dir = Path.Combine(Path.GetTempPath(), "qr-quant-" + Guid.NewGuid().ToString("N"));
    public SafeTensorsFile File { get; }

    public TempSafeTensors(IEnumerable<TensorData> tensors)
    {
        var path = Path.Combine(_dir, "model.safetensors");
        SafeTensorsWriter.Write(path, tensors);
        File = SafeTensorsFile.Open(path);
    }

    public void Dispose()
    {
        File.Dispose();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
