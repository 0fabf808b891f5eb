using System.Globalization;
using System.Text;

namespace QuantReason.Data.StepMath;

/// <summary>A step segment as written: its text and whether its closing tag was there.</summary>
public readonly record struct RawStep(string Text, bool Terminated);

/// <summary>A step-tag output split into its segments; <see cref="AnswerText"/> is the last <c>\boxed{…}</c> content.</summary>
public sealed record ParsedOutput(IReadOnlyList<RawStep> Steps, bool HasAnswerSegment, string? AnswerText)
{
    /// <summary>The answer as an integer, or null when absent or not an integer.</summary>
    public long? Answer =>
        AnswerText is { } t && long.TryParse(t.Replace(" ", ""), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)
            ? v : null;
}

/// <summary>
/// The study's step-tag solution format:
/// <c>&lt;|step_start|&gt;48+27=75&lt;|step_end|&gt;…&lt;|answer_start|&gt;\boxed{206}&lt;|answer_end|&gt;</c>.
/// </summary>
public static class SolutionFormat
{
    public const string StepStart = "<|step_start|>";
    public const string StepEnd = "<|step_end|>";
    public const string AnswerStart = "<|answer_start|>";
    public const string AnswerEnd = "<|answer_end|>";
    public const string BoxedOpen = "\\boxed{";

    public static readonly IReadOnlyList<string> Tags = [StepStart, StepEnd, AnswerStart, AnswerEnd];

    public static string Render(IEnumerable<Step> steps, long answer)
    {
        var sb = new StringBuilder(128);
        AppendTo(sb, steps, answer);
        return sb.ToString();
    }

    public static void AppendTo(StringBuilder sb, IEnumerable<Step> steps, long answer)
    {
        foreach (var s in steps)
        {
            sb.Append(StepStart);
            s.AppendTo(sb);
            sb.Append(StepEnd);
        }
        sb.Append(AnswerStart).Append(BoxedOpen).Append(answer.ToString(CultureInfo.InvariantCulture)).Append('}').Append(AnswerEnd);
    }

    /// <summary>Length in tokens of a character-level model whose added tokens are the four tags.</summary>
    public static int TokenLength(string text)
    {
        int n = text.Length;
        foreach (var tag in Tags)
        {
            int i = 0;
            while ((i = text.IndexOf(tag, i, StringComparison.Ordinal)) >= 0) { n -= tag.Length - 1; i += tag.Length; }
        }
        return n;
    }

    /// <summary>
    /// Splits a model's output into step segments and the answer. Text outside tags is ignored (models emit stray
    /// spaces); a step runs to its <c>step_end</c>, and one cut short by another tag or the end of the output is
    /// recorded as unterminated. Everything after the first answer segment is ignored.
    /// </summary>
    public static ParsedOutput Parse(string output)
    {
        var steps = new List<RawStep>();
        int pos = 0;
        while (pos < output.Length)
        {
            int s = output.IndexOf(StepStart, pos, StringComparison.Ordinal);
            int a = output.IndexOf(AnswerStart, pos, StringComparison.Ordinal);
            if (s < 0 && a < 0) break;
            if (a >= 0 && (s < 0 || a < s))
            {
                int bodyStart = a + AnswerStart.Length;
                int end = output.IndexOf(AnswerEnd, bodyStart, StringComparison.Ordinal);
                var body = end < 0 ? output[bodyStart..] : output[bodyStart..end];
                return new ParsedOutput(steps, true, LastBoxed(body));
            }
            int start = s + StepStart.Length;
            int stop = NextTag(output, start, out var tag);
            if (tag == StepEnd)
            {
                steps.Add(new RawStep(output[start..stop], true));
                pos = stop + StepEnd.Length;
            }
            else
            {
                steps.Add(new RawStep(output[start..stop], false));
                pos = stop;
            }
        }
        return new ParsedOutput(steps, false, null);
    }

    static int NextTag(string text, int from, out string? tag)
    {
        int best = text.Length;
        tag = null;
        foreach (var t in Tags)
        {
            int i = text.IndexOf(t, from, StringComparison.Ordinal);
            if (i >= 0 && i < best) { best = i; tag = t; }
        }
        return best;
    }

    /// <summary>Content of the last balanced <c>\boxed{…}</c>, or null.</summary>
    public static string? LastBoxed(string text)
    {
        int i = text.LastIndexOf(BoxedOpen, StringComparison.Ordinal);
        while (i >= 0)
        {
            int depth = 1, j = i + BoxedOpen.Length;
            for (; j < text.Length && depth > 0; j++)
            {
                if (text[j] == '{') depth++;
                else if (text[j] == '}') depth--;
            }
            if (depth == 0) return text[(i + BoxedOpen.Length)..(j - 1)];
            i = i == 0 ? -1 : text.LastIndexOf(BoxedOpen, i - 1, StringComparison.Ordinal);
        }
        return null;
    }
}
