using System.Text.Json;
using QuantReason.Data.StepMath;

namespace QuantReason.Judging;

/// <summary>
/// A judge's answer read against its schema: one JSON object (a ```json fence around it is tolerated) with
/// <c>first_error_step</c> an integer in −1..num_steps (num_steps: every step right but the final answer wrong) or null for
/// none, <c>error_type</c> a taxonomy id (v2, v1, or format_error; null or "no_error" when nothing is wrong) and a
/// one-line <c>reason</c>. Anything else is a <see cref="QuantReasonException"/> saying what was wrong.
/// </summary>
public sealed record JudgeReply(int FirstErrorStep, string? ErrorType, string Reason)
{
    public static JudgeReply Parse(string text, int numSteps, Taxonomy taxonomy, string where)
    {
        var body = text.Trim();
        if (body.StartsWith("```", StringComparison.Ordinal))
        {
            var firstLine = body.IndexOf('\n');
            var close = body.LastIndexOf("```", StringComparison.Ordinal);
            if (firstLine < 0 || close <= firstLine) throw new QuantReasonException("reply opens a code fence it never closes", where);
            body = body[(firstLine + 1)..close].Trim();
        }
        JsonDocument doc;
        try { doc = JsonDocument.Parse(body); }
        catch (JsonException e) { throw new QuantReasonException($"reply is not JSON ({e.Message.Split('.')[0]}): {Clip(text)}", where); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new QuantReasonException($"reply is JSON but not an object: {Clip(text)}", where);
            int step;
            if (!root.TryGetProperty("first_error_step", out var s)) throw new QuantReasonException("reply lacks 'first_error_step'", where);
            if (s.ValueKind == JsonValueKind.Null) step = -1;
            else if (s.ValueKind != JsonValueKind.Number || !s.TryGetInt32(out step)) throw new QuantReasonException($"'first_error_step' must be an integer or null, got {s.GetRawText()}", where);
            if (step < -1 || step > numSteps)
                throw new QuantReasonException($"'first_error_step' {step} is past the solution's {numSteps} steps (0..{numSteps - 1}, -1 for none)", where);
            string? type = null;
            if (root.TryGetProperty("error_type", out var t) && t.ValueKind != JsonValueKind.Null)
                type = t.ValueKind == JsonValueKind.String ? t.GetString() : throw new QuantReasonException("'error_type' must be a string or null", where);
            if (type == Taxonomy.NoError) type = null;
            if (step >= 0)
            {
                if (type is null) throw new QuantReasonException($"reply names step {step} as wrong but gives no 'error_type'", where);
                TaxonomyTypes.Resolve(type, taxonomy, where);
            }
            else type = null;
            var reason = root.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : "";
            return new JudgeReply(step, type, reason.ReplaceLineEndings(" ").Trim());
        }
    }

    static string Clip(string s) => s.Length <= 80 ? s : s[..80] + "…";
}
