namespace QuantReason.Evaluation.Equivalence;

/// <summary>What an answer means once parsed; the grader compares these, never raw strings (except <see cref="UnparsedAnswer"/>).</summary>
public abstract record AnswerValue
{
    /// <summary>True for every kind except the raw-string fallback: the answer was understood.</summary>
    public bool IsRecognised => this is not UnparsedAnswer;
}

/// <summary>A single exact value. <see cref="HasDecimal"/>: a decimal literal went in (it may approximate an irrational);
/// <see cref="Percent"/>: a % sign was removed, so the value may also be read divided by 100.</summary>
public sealed record ScalarAnswer(SymbolicValue Value, bool HasDecimal, bool Percent) : AnswerValue
{
    /// <summary>The left side of "y = 3x + 1" when the answer named an unknown: lets it be compared as the equation
    /// y − (3x + 1) = 0 with an equation written another way. Null for a bare value.</summary>
    public SymbolicValue? Label { get; init; }
}

/// <summary>An ordered tuple, point or interval: the brackets are kept, so (1,2] and [1,2) differ.</summary>
public sealed record BracketedAnswer(char Open, char Close, IReadOnlyList<AnswerValue> Items) : AnswerValue
{
    /// <summary>Known to be an interval even with round brackets and finite ends (it came from an inequality).</summary>
    public bool IsInterval { get; init; }
}

/// <summary>A chain of inequalities that is not one variable's interval (x + y > 2, f(2) &lt; f(1) &lt; f(4)), written in
/// ascending order: <see cref="Terms"/>[i] &lt; (or ≤ where not <see cref="Strict"/>[i]) <see cref="Terms"/>[i+1].</summary>
public sealed record InequalityAnswer(IReadOnlyList<SymbolicValue> Terms, IReadOnlyList<bool> Strict) : AnswerValue;

/// <summary>An unordered collection: "1, -2", "x=1, x=2", \{1, 2\}, or the two values of a ±.</summary>
public sealed record SetAnswer(IReadOnlyList<AnswerValue> Items) : AnswerValue;

/// <summary>A union of intervals, compared as an unordered collection of parts.</summary>
public sealed record UnionAnswer(IReadOnlyList<AnswerValue> Parts) : AnswerValue;

/// <summary>A matrix or vector (pmatrix, bmatrix, …) as rows of cells.</summary>
public sealed record MatrixAnswer(IReadOnlyList<IReadOnlyList<AnswerValue>> Rows) : AnswerValue;

/// <summary>An equation that is not "variable = value": lhs − rhs, equal to another up to a non-zero factor.</summary>
public sealed record EquationAnswer(SymbolicValue Difference) : AnswerValue;

/// <summary>A word answer ("east", "Evelyn"), lower-cased with spaces removed.</summary>
public sealed record TextAnswer(string Canonical) : AnswerValue;

/// <summary>A multiple-choice letter: (A) ≡ A ≡ \text{(A)}.</summary>
public sealed record ChoiceAnswer(char Letter) : AnswerValue;

/// <summary>A numeral written in another base, 52_8: compared by digits and base.</summary>
public sealed record BaseNumeralAnswer(string Digits, int Base) : AnswerValue;

/// <summary>The fallback: nothing above applied, so only the normalised string is compared.</summary>
public sealed record UnparsedAnswer(string Normalized) : AnswerValue;
