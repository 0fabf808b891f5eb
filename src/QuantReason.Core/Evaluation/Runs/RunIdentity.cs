using System.Security.Cryptography;
using System.Text.Json;
using QuantReason.Models;
using QuantReason.Quantization.Model;
using QuantReason.Data.Datasets;
using QuantReason.Weights;

namespace QuantReason.Evaluation.Runs;

/// <summary>
/// The manifest's description of what was evaluated, read from the files themselves: a model directory's weight digest,
/// architecture and quantization_config, and a dataset file's digest, so two runs that differ in any of them never look alike.
/// </summary>
public static class RunIdentity
{
    /// <summary>SHA-256 over the weight files (*.safetensors in ordinal name order, each file's bytes in turn).</summary>
    public static string WeightDigest(string modelDir)
    {
        var files = Directory.GetFiles(modelDir, "*.safetensors").Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new QuantReasonException("no .safetensors weight files", modelDir);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        foreach (var f in files)
        {
            using var stream = File.OpenRead(f);
            int n;
            while ((n = stream.Read(buffer)) > 0) hash.AppendData(buffer, 0, n);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>An adapter folder as the manifest records it: its portable path and the digest of adapter_model.safetensors.</summary>
    public static AdapterInfo Adapter(string adapterDir, string runDir)
    {
        var weights = Path.Combine(adapterDir, PeftAdapter.WeightsFile);
        if (!File.Exists(weights)) throw new QuantReasonException($"no {PeftAdapter.WeightsFile} in the adapter folder", adapterDir);
        using var stream = File.OpenRead(weights);
        return new AdapterInfo(Portable(adapterDir, runDir), Convert.ToHexStringLower(SHA256.HashData(stream)));
    }

    public static ModelInfo Model(string modelDir, ModelConfig config, string runDir) => new(
        Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelDir))),
        Portable(modelDir, runDir), WeightDigest(modelDir), config.Architecture.ModelType, config.ParameterCount);

    /// <summary>
    /// A path as the manifest records it: relative to the run directory, with '/' separators, so a committed run names
    /// the same files on every machine and a rerun elsewhere does not rewrite it (an absolute path would be this machine's).
    /// </summary>
    public static string Portable(string path, string runDir) =>
        Path.GetRelativePath(Path.GetFullPath(runDir), Path.GetFullPath(path)).Replace(Path.DirectorySeparatorChar, '/');

    /// <summary>The loaded checkpoint's quantization as the manifest records it, or null for full precision.</summary>
    public static QuantizationInfo? Quantization(CheckpointQuantization? q, CalibrationInfo? calibration) =>
        q is null ? null : new QuantizationInfo(q.Algorithm, q.Bits, q.GroupSize, q.Sym, q.ActOrder, calibration);

    /// <summary>A dataset by the name it was asked for (a catalogue name, else the file name) with its file's digest.</summary>
    public static DatasetInfo Dataset(string nameOrPath, string path, int size, string runDir)
    {
        var known = DatasetCatalog.Entries.FirstOrDefault(e => string.Equals(e.Name, nameOrPath, StringComparison.OrdinalIgnoreCase));
        return new DatasetInfo(known?.Name ?? Path.GetFileName(path), Portable(path, runDir),
            DatasetFetcher.DigestAsync(path).GetAwaiter().GetResult(), size);
    }
}
