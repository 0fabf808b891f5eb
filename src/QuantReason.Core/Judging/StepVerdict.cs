namespace QuantReason.Judging;

/// <summary>
/// The verifier's finding on one output: the first error's type and 0-based step index (−1 when none; equal to
/// <see cref="NumSteps"/> when the first error lies in the answer after valid steps), and why.
/// </summary>
public sealed record StepVerdict(StepErrorType Error, int FirstErrorStep, int NumSteps, string Explanation, long? Answer)
{
    public bool IsCorrect => Error == StepErrorType.None;
}
