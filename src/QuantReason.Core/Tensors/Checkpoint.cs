using System.Text.Json;

namespace QuantReason.Tensors;

/// <summary>
/// The weights of a checkpoint directory: one `model.safetensors`, or shards listed by `model.safetensors.index.json`.
/// Tensor names resolve to their shard; never falls back to pickle files, which can execute code.
/// </summary>
public sealed class Checkpoint : IDisposable
{
    public string Directory { get; }
    readonly List<SafeTensorsFile> _files = new();
    readonly Dictionary<string, SafeTensorsFile> _byName = new(StringComparer.Ordinal);

    public IEnumerable<TensorInfo> Tensors => _byName.Values.Distinct().SelectMany(f => f.Tensors.Values.Where(t => _byName[t.Name] == f));
    public IReadOnlyList<SafeTensorsFile> Files => _files;

    Checkpoint(string directory) { Directory = directory; }

    public static Checkpoint Open(string directory)
    {
        if (!System.IO.Directory.Exists(directory)) throw new QuantReasonException("model directory not found", directory);
        var ck = new Checkpoint(directory);
        try
        {
            var index = Path.Combine(directory, "model.safetensors.index.json");
            var single = Path.Combine(directory, "model.safetensors");
            if (File.Exists(index))
            {
                using var doc = ParseJson(index);
                if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("weight_map", out var map)
                    || map.ValueKind != JsonValueKind.Object)
                    throw new QuantReasonException("index has no 'weight_map' object", index);
                var shards = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
                foreach (var p in map.EnumerateObject())
                {
                    var shard = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()!
                        : throw new QuantReasonException($"weight_map entry '{QuantReasonException.Quote(p.Name)}' must name a shard file", index);
                    if (!shards.TryGetValue(shard, out var f))
                    {
                        f = SafeTensorsFile.Open(Path.Combine(directory, shard));
                        shards[shard] = f;
                        ck._files.Add(f);
                    }
                    if (!f.Contains(p.Name))
                        throw new QuantReasonException($"index maps tensor '{p.Name}' to this shard but the shard does not hold it", f.Path);
                    ck._byName[p.Name] = f;
                }
            }
            else if (File.Exists(single))
            {
                var f = SafeTensorsFile.Open(single);
                ck._files.Add(f);
                foreach (var n in f.Tensors.Keys) ck._byName[n] = f;
            }
            else
            {
                bool pickle = File.Exists(Path.Combine(directory, "pytorch_model.bin"));
                throw new QuantReasonException(pickle
                    ? "only pytorch_model.bin found: pickle checkpoints can execute code and are not read; convert to safetensors"
                    : "no model.safetensors or model.safetensors.index.json", directory);
            }
            return ck;
        }
        catch
        {
            ck.Dispose();
            throw;
        }
    }

    internal static JsonDocument ParseJson(string path)
    {
        if (!File.Exists(path)) throw new QuantReasonException("file not found", path);
        return JsonInput.Parse(File.ReadAllBytes(path), path);
    }

    public bool Contains(string name) => _byName.ContainsKey(name);

    public SafeTensorsFile FileOf(string name) =>
        _byName.TryGetValue(name, out var f) ? f : throw new QuantReasonException("tensor not found in checkpoint", $"{Directory}: {name}");

    public TensorInfo Info(string name) => FileOf(name).Info(name);

    public float[] ReadF32(string name, params long[] expectedShape) => FileOf(name).ReadF32(name, expectedShape);

    public void Dispose()
    {
        foreach (var f in _files) f.Dispose();
        _files.Clear();
    }
}
