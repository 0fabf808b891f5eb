using System.Text.Json.Serialization;

namespace QuantReason.Evaluation.Equivalence;

/// <summary>Which comparison decided a verdict (the innermost one for structured answers).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Decision>))]
public enum Decision
{
    /// <summary>Both sides were exact rationals (integers, fractions, decimals, scientific notation).</summary>
    [JsonStringEnumMemberName("rational")] Rational,
    /// <summary>Exact canonical forms with radicals, π, i, e or variables.</summary>
    [JsonStringEnumMemberName("symbolic")] Symbolic,
    /// <summary>A decimal approximating an exact value: relative tolerance 1e-6 against an irrational value, or a decimal of
    /// at least ten significant digits that is a rational, whose expansion does not end, rounded or truncated there.</summary>
    [JsonStringEnumMemberName("numeric")] Numeric,
    /// <summary>A percent sign read as /100 (50\% ≡ 0.5).</summary>
    [JsonStringEnumMemberName("percent")] Percent,
    [JsonStringEnumMemberName("tuple")] Tuple,
    [JsonStringEnumMemberName("interval")] Interval,
    [JsonStringEnumMemberName("set")] Set,
    [JsonStringEnumMemberName("union")] Union,
    [JsonStringEnumMemberName("matrix")] Matrix,
    [JsonStringEnumMemberName("equation")] Equation,
    /// <summary>Inequalities up to multiplying both sides by a positive number, or by −1 with the relation reversed.</summary>
    [JsonStringEnumMemberName("inequality")] Inequality,
    /// <summary>Seeded evaluation at random points (or of two constants) agreed where exact arithmetic could not decide:
    /// trigonometric identities, sums, nested radicals (<see cref="NumericIdentity"/>).</summary>
    [JsonStringEnumMemberName("identity")] Identity,
    [JsonStringEnumMemberName("text")] Text,
    [JsonStringEnumMemberName("choice")] Choice,
    [JsonStringEnumMemberName("base_numeral")] BaseNumeral,
    /// <summary>The two answers are of different kinds (a set against a number, …).</summary>
    [JsonStringEnumMemberName("kind_mismatch")] KindMismatch,
    /// <summary>At least one side could not be parsed: normalised strings were compared.</summary>
    [JsonStringEnumMemberName("string")] String,
    /// <summary>The prediction is missing.</summary>
    [JsonStringEnumMemberName("no_answer")] NoAnswer,
}
