using System.Text.RegularExpressions;

namespace QuantReason.Judging;

/// <summary>What the step checker found: the first step stating a false equality, or −1 when none it could read is false.</summary>
public sealed record StepCheck(int FirstErrorStep, int NumSteps, int EqualitiesChecked, StatedEquality? Equality, EqualityVerdict? Verdict)
{
    public bool FoundError => FirstErrorStep >= 0;

    public string Explanation => Equality is { } e && Verdict is { } v
        ? $"{e} is false ({v.LeftValue} ≠ {v.RightValue})"
        : $"no false equality among {EqualitiesChecked} checked";
}

/// <summary>
/// A labeller with no model behind it: reads the explicit equalities of each step (<see cref="EqualityExtractor"/>),
/// checks each with the equivalence engine (<see cref="EqualityCheck"/>) and marks the first false one as a
/// computational error. It cannot see a wrong idea whose arithmetic is right, so it finds a subset of first errors;
/// its worth is in not crying wolf, which is why every doubtful equality is left unchecked.
/// </summary>
public static partial class StepChecker
{
    public const string Name = "step-checker";

    public static StepCheck Check(IReadOnlyList<string> steps)
    {
        int count = 0;
        for (int i = 0; i < steps.Count; i++)
            foreach (var e in WithSharedLeftSides(EqualityExtractor.Extract(steps[i])))
            {
                var v = EqualityCheck.Check(e);
                if (v.Outcome == EqualityOutcome.Uncheckable) continue;
                count++;
                if (v.Outcome == EqualityOutcome.Fails) return new StepCheck(i, steps.Count, count, e, v);
            }
        return new StepCheck(-1, steps.Count, count, null, null);
    }

    /// <summary>
    /// Adds, between consecutive equalities of one step with the same written left side that is not itself a value
    /// and names a quantity in words (\text{Total} = 52 + 24 + 44 + 48, \text{Total} = 178), the claim that their right sides are equal.
    /// </summary>
    static IEnumerable<StatedEquality> WithSharedLeftSides(IReadOnlyList<StatedEquality> found)
    {
        for (int i = 0; i < found.Count; i++)
        {
            yield return found[i];
            // only a named quantity (\text{Total}): a variable restated is as often a second solution (x = 2, x = 3)
            if (i + 1 < found.Count && Same(found[i].Left, found[i + 1].Left) && !found[i].InProse && !found[i + 1].InProse
                && NamedQuantity().IsMatch(found[i].Left) && EqualityCheck.Check(found[i]).Outcome == EqualityOutcome.Uncheckable
                // "Total = 720 × 24 = 17280" after "Total = 720 × 24 × 120 × 6" starts a partial computation, not a restatement
                && !(i + 2 < found.Count && Same(found[i + 2].Left, found[i + 1].Right)))
                yield return new StatedEquality(found[i].Right, found[i + 1].Right, InProse: false, found[i + 1].WordsMayFollow);
        }
    }

    static bool Same(string a, string b) => string.Join(' ', a.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)) == string.Join(' ', b.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    [GeneratedRegex(@"^\s*\\text\s*\{\s*[A-Za-z][A-Za-z' ]+\}\s*$")]
    private static partial Regex NamedQuantity();
}
