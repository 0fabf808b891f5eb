using System.Globalization;
using System.Text;
using System.Text.Json;
using QuantReason.Data;

namespace QuantReason.Evaluation.Imports;

/// <summary>
/// OpenCompass prediction files (<c>predictions/MODEL/DATASET.json</c>, split datasets as <c>DATASET_0.json</c>,
/// <c>DATASET_1.json</c>, …): one JSON object keyed by the example's index, each entry with <c>origin_prompt</c> (a string,
/// or the chat rounds <c>[{"role": "HUMAN", "prompt": …}, …]</c>), <c>prediction</c> (a string, or a list when several
/// samples were drawn) and <c>gold</c>. Newer versions write the same entries as JSON lines carrying <c>idx</c>.
/// </summary>
public static class OpenCompassPredictions
{
    public static List<ImportedSample> Read(string path, List<string> warnings, bool strict)
    {
        if (!File.Exists(path)) throw new QuantReasonException("file not found", path);
        var entries = new List<(int Index, JsonElement Entry, string Where)>();
        var text = File.ReadAllText(path);
        if (text.TrimStart().StartsWith('{') && !path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            JsonDocument doc;
            try { doc = JsonDocument.Parse(text); }
            catch (JsonException e) { throw new QuantReasonException($"malformed JSON ({e.Message.Split(" Path:")[0]})", path, e); }
            using (doc)
                foreach (var p in doc.RootElement.EnumerateObject())
                {
                    var where = $"{path}: entry \"{p.Name}\"";
                    if (!int.TryParse(p.Name, NumberStyles.Integer, CultureInfo.InvariantCulture, out var index))
                    {
                        Skip(warnings, strict, where, "key is not an example index");
                        continue;
                    }
                    entries.Add((index, p.Value.Clone(), where));
                }
        }
        else
        {
            var read = JsonlReader.Read(path, strict);
            warnings.AddRange(read.Warnings);
            foreach (var line in read.Lines)
            {
                var where = $"{path}:{line.Line}";
                if (line.Value.TryGetProperty("idx", out var i) && i.TryGetInt32(out var index)) entries.Add((index, line.Value, where));
                else Skip(warnings, strict, where, "no integer 'idx'");
            }
        }
        var samples = new List<ImportedSample>();
        foreach (var (index, e, where) in entries.OrderBy(x => x.Index))
        {
            if (e.ValueKind != JsonValueKind.Object) { Skip(warnings, strict, where, "entry is not an object"); continue; }
            if (!e.TryGetProperty("prediction", out var prediction)) { Skip(warnings, strict, where, "no 'prediction'"); continue; }
            var outputs = prediction.ValueKind switch
            {
                JsonValueKind.String => [prediction.GetString()!],
                JsonValueKind.Array when prediction.EnumerateArray().All(x => x.ValueKind == JsonValueKind.String)
                    => prediction.EnumerateArray().Select(x => x.GetString()!).ToList(),
                _ => (List<string>?)null,
            };
            if (outputs is null) { Skip(warnings, strict, where, "'prediction' is not text"); continue; }
            var gold = e.TryGetProperty("gold", out var g) ? g.ValueKind switch
            {
                JsonValueKind.String => g.GetString(),
                JsonValueKind.Number => g.GetRawText(),
                JsonValueKind.Array when g.GetArrayLength() > 0 && g[0].ValueKind == JsonValueKind.String => g[0].GetString(),
                _ => null,
            } : null;
            var prompt = e.TryGetProperty("origin_prompt", out var op) ? Prompt(op) : "";
            for (int s = 0; s < outputs.Count; s++) samples.Add(new ImportedSample(index, s, prompt, outputs[s], null, gold, where));
        }
        return samples;
    }

    /// <summary>A string prompt as is; chat rounds as "&lt;ROLE&gt;\n text" blocks, the form the runner records chat prompts in.</summary>
    static string Prompt(JsonElement p)
    {
        if (p.ValueKind == JsonValueKind.String) return p.GetString()!;
        if (p.ValueKind != JsonValueKind.Array) return p.GetRawText();
        var sb = new StringBuilder();
        foreach (var round in p.EnumerateArray())
        {
            if (sb.Length > 0) sb.Append("\n\n");
            var role = round.TryGetProperty("role", out var r) ? r.GetString() : "?";
            var content = round.TryGetProperty("prompt", out var c) ? c.GetString() : round.GetRawText();
            sb.Append('<').Append(role?.ToLowerInvariant()).Append(">\n").Append(content);
        }
        return sb.ToString();
    }

    static void Skip(List<string> warnings, bool strict, string where, string message)
    {
        if (strict) throw new QuantReasonException(message, where);
        warnings.Add($"{where}: {message}; skipped");
    }

    /// <summary>"gsm8k_1.json" → "gsm8k" (OpenCompass splits large datasets into numbered parts).</summary>
    public static string DatasetName(string path) =>
        System.Text.RegularExpressions.Regex.Replace(Path.GetFileNameWithoutExtension(path), @"_\d+$", "");
}
