using System.Text;
using QuantReason.Data.StepMath;

namespace QuantReason.Judging;

/// <summary>Renders a judge's prompt from its template: the problem, the numbered steps and the allowed types.</summary>
public static class JudgePrompt
{
    public const string DefaultTemplate = """
        You are checking a step-by-step solution to a math problem. Find the earliest step that contains an error
        (steps are numbered from 0), or decide that every step is correct.

        Problem:
        {problem}

        Solution ({num_steps} steps):
        {steps}

        Classify the error with one of these types:
        {types}

        Reply with one JSON object and nothing else:
        {"first_error_step": <index of the earliest wrong step, or -1 if all steps are correct>,
         "error_type": <one type id above, or null when no step is wrong>,
         "reason": <one line>}
        """;

    static readonly string[] Required = ["{problem}", "{steps}"];

    public static void Validate(string template, string where)
    {
        foreach (var r in Required)
            if (!template.Contains(r, StringComparison.Ordinal)) throw new QuantReasonException($"prompt template lacks the placeholder {r}", where);
    }

    public static string Render(string template, JudgeCase c, Taxonomy taxonomy)
    {
        var steps = new StringBuilder();
        for (int i = 0; i < c.Steps.Count; i++) steps.Append("Step ").Append(i).Append(": ").Append(c.Steps[i]).Append('\n');
        var types = string.Join("\n", taxonomy.V2.Select(t => $"- {t.Id} ({t.Category}): {t.Definition}"));
        return template.Replace("{problem}", c.Problem).Replace("{steps}", steps.ToString().TrimEnd())
            .Replace("{num_steps}", c.Steps.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)).Replace("{types}", types);
    }
}
