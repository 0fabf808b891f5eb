using System.Text.RegularExpressions;
using QuantReason.Data.StepMath;

namespace QuantReason.Judging;

/// <summary>How a solution was cut into steps.</summary>
public enum SegmentationRule { StepTags, Paragraphs, Lines }

/// <summary>A solution cut into steps; a label's step index always refers to <see cref="Steps"/>.</summary>
public sealed record Segmentation(IReadOnlyList<string> Steps, SegmentationRule Rule);

/// <summary>
/// Cuts a free-form solution into steps: the study's step tags when present (the answer segment is not a step, as in the
/// StepMath verifier, so an answer error sits at index <c>num_steps</c>); otherwise paragraphs separated by blank lines,
/// the unit ProcessBench's solutions were reformatted into and its experts labelled; a single paragraph of several lines
/// falls back to one step per line. Steps are trimmed and empty ones dropped.
/// </summary>
public static partial class StepSegmenter
{
    public static Segmentation Segment(string output)
    {
        if (output.Contains(SolutionFormat.StepStart, StringComparison.Ordinal))
            return new(SolutionFormat.Parse(output).Steps.Select(s => s.Text.Trim()).ToList(), SegmentationRule.StepTags);
        var text = output.Replace("\r\n", "\n");
        var paragraphs = Clean(BlankLine().Split(text));
        if (paragraphs.Count > 1) return new(paragraphs, SegmentationRule.Paragraphs);
        var lines = Clean(text.Split('\n'));
        return lines.Count > 1 ? new(lines, SegmentationRule.Lines) : new(paragraphs, SegmentationRule.Paragraphs);
    }

    static List<string> Clean(IEnumerable<string> parts) => parts.Select(p => p.Trim()).Where(p => p.Length > 0).ToList();

    [GeneratedRegex(@"\n[ \t]*\n")]
    private static partial Regex BlankLine();
}
