namespace QuantReason.Evaluation.Equivalence;

/// <summary>
/// Internal signal that an answer falls outside what the exact evaluator represents (unknown command, runaway power,
/// malformed LaTeX). The grader catches it and falls back to comparing normalised strings; it never reaches users.
/// </summary>
internal sealed class NotRepresentableException(string message) : Exception(message);
