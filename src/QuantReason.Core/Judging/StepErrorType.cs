namespace QuantReason.Judging;

/// <summary>
/// The verifier's outcomes: the study's seven v1 types, a format error, or none. The v1 ids map to v2 types and
/// categories through <see cref="Taxonomy"/>.
/// </summary>
public enum StepErrorType
{
    None,
    FormatError,
    MisunderstandingOfProblem,
    LogicalError,
    ComputationError,
    FormulaMisuse,
    StepOmission,
    BoundaryConditionError,
    SymbolError,
}

public static class StepErrorTypes
{
    /// <summary>The v1 type id, null for <see cref="StepErrorType.None"/> and <see cref="StepErrorType.FormatError"/>.</summary>
    public static string? V1Id(this StepErrorType t) => t switch
    {
        StepErrorType.MisunderstandingOfProblem => "misunderstanding_of_problem",
        StepErrorType.LogicalError => "logical_error",
        StepErrorType.ComputationError => "computation_error",
        StepErrorType.FormulaMisuse => "formula_misuse",
        StepErrorType.StepOmission => "step_omission",
        StepErrorType.BoundaryConditionError => "boundary_condition_error",
        StepErrorType.SymbolError => "symbol_error",
        _ => null,
    };

    /// <summary>The seven v1 types, in the order the taxonomy lists them.</summary>
    public static readonly IReadOnlyList<StepErrorType> V1Types =
    [
        StepErrorType.MisunderstandingOfProblem, StepErrorType.LogicalError, StepErrorType.ComputationError,
        StepErrorType.FormulaMisuse, StepErrorType.StepOmission, StepErrorType.BoundaryConditionError, StepErrorType.SymbolError,
    ];
}
