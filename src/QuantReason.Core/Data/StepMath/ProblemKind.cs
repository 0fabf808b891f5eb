namespace QuantReason.Data.StepMath;

/// <summary>What a StepMath problem asks. Arithmetic chains, and the word-problem templates of <see cref="WordProblems"/>.</summary>
public enum ProblemKind
{
    Arithmetic,
    Area,       // area 12x7
    Perimeter,  // peri 12x7
    Distance,   // dist 45/h 3h
    Rate,       // rate 135 3h
    Percent,    // pct 25 of 80
    Discount,   // off 25 of 80
    Change,     // rest 100 3@12 5
    Boxes,      // box 40 of 6
}

public static class ProblemKinds
{
    /// <summary>The <c>subject</c> field of the dataset (MATH's field name).</summary>
    public static string Subject(this ProblemKind kind) => kind switch
    {
        ProblemKind.Arithmetic => "arithmetic",
        ProblemKind.Area or ProblemKind.Perimeter => "word-area",
        ProblemKind.Distance or ProblemKind.Rate => "word-rate",
        ProblemKind.Percent or ProblemKind.Discount => "word-percent",
        ProblemKind.Change => "word-money",
        _ => "word-boxes",
    };
}
