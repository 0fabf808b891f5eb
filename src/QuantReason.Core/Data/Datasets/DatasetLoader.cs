using System.Globalization;
using System.Text.Json;

namespace QuantReason.Data.Datasets;

/// <summary>
/// Loads MATH, MATH-500, GSM8K or any JSONL with the same field names into <see cref="Problem"/>s. The schema is detected
/// from the first record unless given; a record that lacks the gold-answer field is an error naming that field and line
/// (every problem needs a gold answer, so it is never a skippable warning).
/// </summary>
public static class DatasetLoader
{
    public static Dataset Load(string path, DatasetFormat? format = null, bool strict = false)
    {
        var read = JsonlReader.Read(path, strict);
        if (read.Lines.Count == 0) throw new QuantReasonException("dataset has no records", path);
        var fmt = format ?? Detect(read.Lines[0], path);
        var problems = new List<Problem>(read.Lines.Count);
        var index = 0;
        foreach (var line in read.Lines)
        {
            var where = $"{path}:{line.Line}";
            problems.Add(ToProblem(line.Value, fmt, where, index));
            index++;
        }
        return new Dataset(path, fmt, problems, read.Warnings);
    }

    /// <summary>One record in the given schema as a problem; <paramref name="index"/> is its id where the schema has none.</summary>
    public static Problem ToProblem(JsonElement record, DatasetFormat format, string where, int index) => format switch
    {
        DatasetFormat.Math500 => FromMath500(record, where, index),
        DatasetFormat.Math => FromMath(record, where, index),
        DatasetFormat.Gsm8k => FromGsm8k(record, where, index),
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    /// <summary>Chooses the schema from the fields present; the gold-answer field decides between MATH and MATH-500.</summary>
    public static DatasetFormat Detect(JsonlLine first, string path)
    {
        var o = first.Value;
        var where = $"{path}:{first.Line}";
        if (Has(o, "question"))
            return Has(o, "answer") ? DatasetFormat.Gsm8k
                : throw new QuantReasonException("GSM8K-style record has no gold-answer field 'answer'", where);
        if (Has(o, "problem"))
        {
            if (Has(o, "answer")) return DatasetFormat.Math500;
            if (Has(o, "solution")) return DatasetFormat.Math;
            throw new QuantReasonException(
                "record has no gold-answer field: expected 'answer' (MATH-500 schema) or 'solution' containing \\boxed{} (MATH schema)",
                where);
        }
        throw new QuantReasonException(
            "unrecognised dataset schema: expected a 'problem' field (MATH, MATH-500) or a 'question' field (GSM8K)", where);
    }

    static Problem FromMath500(JsonElement o, string where, int index) => new(
        Id: OptionalString(o, "unique_id") ?? index.ToString(CultureInfo.InvariantCulture),
        Text: RequiredString(o, "problem", where),
        Gold: RequiredString(o, "answer", where),
        Subject: OptionalString(o, "subject") ?? OptionalString(o, "type"),
        Level: ParseLevel(o, where),
        Solution: OptionalString(o, "solution"));

    static Problem FromMath(JsonElement o, string where, int index)
    {
        var solution = RequiredString(o, "solution", where);
        var gold = LatexBoxes.Last(solution)
            ?? throw new QuantReasonException("gold-answer field 'solution' contains no \\boxed{} answer", where);
        return new Problem(
            Id: OptionalString(o, "idx") ?? index.ToString(CultureInfo.InvariantCulture),
            Text: RequiredString(o, "problem", where),
            Gold: gold,
            Subject: OptionalString(o, "type") ?? OptionalString(o, "subject"),
            Level: ParseLevel(o, where),
            Solution: solution);
    }

    static Problem FromGsm8k(JsonElement o, string where, int index)
    {
        var answer = RequiredString(o, "answer", where);
        var hash = answer.LastIndexOf("####", StringComparison.Ordinal);
        if (hash < 0) throw new QuantReasonException("gold-answer field 'answer' has no '#### N' final line", where);
        return new Problem(
            Id: index.ToString(CultureInfo.InvariantCulture),
            Text: RequiredString(o, "question", where),
            Gold: answer[(hash + 4)..].Trim(),
            Subject: null,
            Level: null,
            Solution: answer[..hash].TrimEnd());
    }

    /// <summary>MATH writes "Level 3" (and "Level ?" for a few); MATH-500 writes 3.</summary>
    static int? ParseLevel(JsonElement o, string where)
    {
        if (!o.TryGetProperty("level", out var v)) return null;
        switch (v.ValueKind)
        {
            case JsonValueKind.Number when v.TryGetInt32(out var n): return n;
            case JsonValueKind.String:
                var s = v.GetString()!.Trim();
                if (s.StartsWith("Level", StringComparison.OrdinalIgnoreCase)) s = s[5..].Trim();
                return int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var k) ? k : null;
            case JsonValueKind.Null: return null;
            default: throw new QuantReasonException($"field 'level' must be an int or \"Level N\", found {v.ValueKind}", where);
        }
    }

    static bool Has(JsonElement o, string name) => o.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null;

    static string RequiredString(JsonElement o, string name, string where)
    {
        if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
            throw new QuantReasonException($"missing field '{name}'", where);
        return AsString(v) ?? throw new QuantReasonException($"field '{name}' must be a string or number, found {v.ValueKind}", where);
    }

    static string? OptionalString(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) ? AsString(v) : null;

    static string? AsString(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString(),
        JsonValueKind.Number => v.GetRawText(),
        _ => null,
    };
}
