using System.Globalization;
using System.Text.Json;
using QuantReason.Data;

namespace QuantReason.Evaluation.Imports;

/// <summary>
/// lm-evaluation-harness <c>--log_samples</c> output (<c>samples_TASK_DATE.jsonl</c>): one line per document and filter
/// with <c>doc_id</c>, the dataset record <c>doc</c>, <c>target</c>, <c>arguments</c> (<c>{"gen_args_0": {"arg_0":
/// prompt, "arg_1": generation kwargs}}</c>, or the older <c>[[prompt, kwargs]]</c>), <c>resps</c> (the raw outputs,
/// <c>[[out₀, out₁, …]]</c> with repeats) and <c>filter</c>. A task with several filters (GSM8K's strict-match and
/// flexible-extract) logs each document once per filter with the same raw outputs; one filter is read, the first
/// seen unless named, since our own extractor replaces theirs.
/// </summary>
public static class LmEvalSamples
{
    public static List<ImportedSample> Read(string path, string? filter, List<string> warnings, bool strict)
    {
        var read = JsonlReader.Read(path, strict);
        warnings.AddRange(read.Warnings);
        var samples = new List<ImportedSample>();
        string? chosen = filter;
        var seen = new HashSet<int>();
        foreach (var line in read.Lines)
        {
            var o = line.Value;
            var where = $"{path}:{line.Line}";
            var lineFilter = o.TryGetProperty("filter", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
            chosen ??= lineFilter;
            if (lineFilter is not null && lineFilter != chosen) continue;
            if (!o.TryGetProperty("doc_id", out var id) || !id.TryGetInt32(out var docId))
            {
                Skip(warnings, strict, where, "no integer 'doc_id'");
                continue;
            }
            if (!seen.Add(docId))
            {
                Skip(warnings, strict, where, $"doc_id {docId} appears twice for filter '{chosen}'");
                continue;
            }
            var outputs = Outputs(o);
            if (outputs is null)
            {
                Skip(warnings, strict, where, "'resps' holds no generated text (a loglikelihood task cannot be graded)");
                continue;
            }
            var prompt = Prompt(o) ?? "";
            JsonElement? doc = o.TryGetProperty("doc", out var d) && d.ValueKind == JsonValueKind.Object ? d.Clone() : null;
            var target = o.TryGetProperty("target", out var t) ? t.ValueKind switch
            {
                JsonValueKind.String => t.GetString(),
                JsonValueKind.Number => t.GetRawText(),
                _ => null,
            } : null;
            for (int s = 0; s < outputs.Count; s++)
                samples.Add(new ImportedSample(docId, s, prompt, outputs[s], doc, target, where));
        }
        if (filter is not null && samples.Count == 0)
            throw new QuantReasonException($"no lines with filter '{filter}'", path);
        return samples;
    }

    static void Skip(List<string> warnings, bool strict, string where, string message)
    {
        if (strict) throw new QuantReasonException(message, where);
        warnings.Add($"{where}: {message}; line skipped");
    }

    /// <summary>resps[0] is the list of outputs of the document's one generation request (one per repeat).</summary>
    static List<string>? Outputs(JsonElement o)
    {
        if (!o.TryGetProperty("resps", out var r) || r.ValueKind != JsonValueKind.Array || r.GetArrayLength() == 0) return null;
        var first = r[0];
        if (first.ValueKind == JsonValueKind.String) return [first.GetString()!];
        if (first.ValueKind == JsonValueKind.Array && first.GetArrayLength() > 0 && first.EnumerateArray().All(x => x.ValueKind == JsonValueKind.String))
            return first.EnumerateArray().Select(x => x.GetString()!).ToList();
        return null;
    }

    static string? Prompt(JsonElement o)
    {
        if (!o.TryGetProperty("arguments", out var a)) return null;
        JsonElement first;
        if (a.ValueKind == JsonValueKind.Object && a.TryGetProperty("gen_args_0", out var g) && g.TryGetProperty("arg_0", out first)) { }
        else if (a.ValueKind == JsonValueKind.Array && a.GetArrayLength() > 0 && a[0].ValueKind == JsonValueKind.Array && a[0].GetArrayLength() > 0) first = a[0][0];
        else return null;
        return first.ValueKind == JsonValueKind.String ? first.GetString() : first.GetRawText();
    }

    /// <summary>The generation kwargs lm-eval logged with the first request (max_gen_toks, temperature, until, …).</summary>
    public static JsonElement? GenerationKwargs(string path)
    {
        var read = JsonlReader.Read(path);
        if (read.Lines.Count == 0) return null;
        var a = read.Lines[0].Value.TryGetProperty("arguments", out var args) ? args : default;
        if (a.ValueKind == JsonValueKind.Object && a.TryGetProperty("gen_args_0", out var g) && g.TryGetProperty("arg_1", out var k) && k.ValueKind == JsonValueKind.Object)
            return k.Clone();
        if (a.ValueKind == JsonValueKind.Array && a.GetArrayLength() > 0 && a[0].ValueKind == JsonValueKind.Array && a[0].GetArrayLength() > 1 && a[0][1].ValueKind == JsonValueKind.Object)
            return a[0][1].Clone();
        return null;
    }

    /// <summary>"samples_gsm8k_2024-05-01T12-00-00.123.jsonl" → "gsm8k".</summary>
    public static string TaskName(string path)
    {
        var name = Path.GetFileNameWithoutExtension(path);
        if (name.StartsWith("samples_", StringComparison.Ordinal)) name = name["samples_".Length..];
        var m = System.Text.RegularExpressions.Regex.Match(name, @"_\d{4}-\d{2}-\d{2}T[\d\-\.]+$");
        return m.Success ? name[..m.Index] : name;
    }

    internal static string Id(int index) => index.ToString(CultureInfo.InvariantCulture);
}
