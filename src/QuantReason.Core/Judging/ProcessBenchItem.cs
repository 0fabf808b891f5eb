using System.Text.Json;

namespace QuantReason.Judging;

/// <summary>
/// One ProcessBench solution (Zheng et al., 2024): a real model's steps with the experts' 0-based index of the first
/// wrong step, −1 when every step is right. <see cref="Split"/> is the file name (gsm8k, math, …), as in the F# reader.
/// </summary>
public sealed record ProcessBenchItem(string Id, string Split, string Generator, string Problem, IReadOnlyList<string> Steps, bool FinalAnswerCorrect, int Label)
{
    /// <summary>Reads a ProcessBench-format file: a JSON array of {id, problem, steps, label, …}.</summary>
    public static IReadOnlyList<ProcessBenchItem> Load(string file)
    {
        var path = Path.GetFullPath(file);
        if (!File.Exists(path)) throw new QuantReasonException("ProcessBench file not found", path);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllBytes(path)); }
        catch (JsonException e) { throw new QuantReasonException($"invalid JSON: {e.Message}", path, e); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Array) throw new QuantReasonException("expected a JSON array of solutions", path);
            var split = Path.GetFileNameWithoutExtension(path);
            var items = new List<ProcessBenchItem>();
            int i = 0;
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                var where = $"{path} [{i++}]";
                string Str(string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()!
                    : throw new QuantReasonException($"field '{name}' missing or not a string", where);
                if (!e.TryGetProperty("steps", out var s) || s.ValueKind != JsonValueKind.Array || s.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String))
                    throw new QuantReasonException("field 'steps' must be an array of strings", where);
                var steps = s.EnumerateArray().Select(x => x.GetString()!).ToList();
                if (!e.TryGetProperty("label", out var l) || l.ValueKind != JsonValueKind.Number || !l.TryGetInt32(out var label)) throw new QuantReasonException("field 'label' missing or not an integer", where);
                var id = Str("id");
                if (label < -1 || label >= steps.Count) throw new QuantReasonException($"label {label} outside -1..{steps.Count - 1}", $"{where} ({id})");
                var generator = e.TryGetProperty("generator", out var g) && g.ValueKind == JsonValueKind.String ? g.GetString()! : "";
                var correct = e.TryGetProperty("final_answer_correct", out var c) && c.ValueKind == JsonValueKind.True;
                items.Add(new ProcessBenchItem(id, split, generator, Str("problem"), steps, correct, label));
            }
            return items;
        }
    }
}
