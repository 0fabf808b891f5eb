namespace QuantReason.Data.StepMath;

public enum StepMathSplit { Train, Validation, Test }

/// <summary>
/// Splits are assigned by a hash of the problem text, not by drawing order: a text belongs to exactly one split
/// whatever the seeds, so train, validation and test can never share a problem. Test and validation get 10% of the
/// hash space each.
/// </summary>
public static class StepMathSplits
{
    public static StepMathSplit Of(string problemText)
    {
        ulong h = 14695981039346656037UL; // FNV-1a 64
        foreach (var c in problemText) { h ^= c; h *= 1099511628211UL; }
        var bucket = (h ^ (h >> 32)) % 100;
        return bucket < 10 ? StepMathSplit.Test : bucket < 20 ? StepMathSplit.Validation : StepMathSplit.Train;
    }

    public static string Name(this StepMathSplit split) => split switch
    {
        StepMathSplit.Train => "train",
        StepMathSplit.Validation => "validation",
        _ => "test",
    };

    public static bool TryParse(string name, out StepMathSplit split)
    {
        foreach (var s in Enum.GetValues<StepMathSplit>())
            if (s.Name() == name) { split = s; return true; }
        split = default;
        return false;
    }

    public static StepMathSplit Parse(string name, string where = "split") =>
        TryParse(name, out var split) ? split
            : throw new QuantReasonException($"unknown split '{name}' (expected train, validation or test)", where);
}
