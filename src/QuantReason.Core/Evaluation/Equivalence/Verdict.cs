namespace QuantReason.Evaluation.Equivalence;

/// <summary>The grader's answer: whether gold and prediction are equivalent, which comparison decided, and both
/// normalised forms so a reader can see what was compared.</summary>
public sealed record Verdict(bool Equivalent, Decision DecidedBy, string GoldNormalized, string PredictedNormalized);
