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
public static class StepChecker
{
    public const string Name = "step-checker";

    public static StepCheck Check(IReadOnlyList<string> steps)
    {
        int count = 0;
        for (int i = 0; i < steps.Count; i++)
            foreach (var e in EqualityExtractor.Extract(steps[i]))
            {
                var v = EqualityCheck.Check(e);
                if (v.Outcome == EqualityOutcome.Uncheckable) continue;
                count++;
                if (v.Outcome == EqualityOutcome.Fails) return new StepCheck(i, steps.Count, count, e, v);
            }
        return new StepCheck(-1, steps.Count, count, null, null);
    }
}
