using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace QuantReason.Evaluation.Runs;

/// <summary>The one JSON style of run files: snake_case names come from attributes, nulls are written, LaTeX stays readable.</summary>
public static class RunJson
{
    public static readonly JsonSerializerOptions Line = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        WriteIndented = false,
    };

    public static readonly JsonSerializerOptions Document = new(Line) { WriteIndented = true };
}
