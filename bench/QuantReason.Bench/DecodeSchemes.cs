using QuantReason.Runtime;

namespace QuantReason.Bench;

/// <summary>
/// The activation and KV-cache cases of the decode bench: <c>--activations a4|a8|… --kv-cache kv4|kv8g32|…</c> run the
/// model as W·A·KV· (e.g. <c>--format q4 --activations a4 --kv-cache kv4</c> is W4A4KV4). Activations without an integer
/// kernel for the scheme are quantized and dequantized per token before the weight's usual kernel, so the figure shows
/// what the scheme costs on top of the weight streaming; the KV cache is read as codes plus scales.
/// </summary>
static class DecodeSchemes
{
    /// <summary>Takes the two flags out of the arguments; the rest go to the decode bench's own parser.</summary>
    public static (string[] Others, string? Activations, string? KvCache) Take(string[] args)
    {
        var rest = new List<string>();
        string? act = null, kv = null;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] is "--activations" or "--kv-cache" && i + 1 < args.Length)
            {
                if (args[i] == "--activations") act = args[++i]; else kv = args[++i];
            }
            else rest.Add(args[i]);
        }
        return (rest.ToArray(), act, kv);
    }

    /// <summary>Bytes one decode step reads from a cache of this length: every cached token's keys and values, all layers.</summary>
    public static long KvBytesRead(KvCache cache) => cache.BytesPerTokenAllLayers * cache.Length;
}
