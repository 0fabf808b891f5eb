namespace QuantReason.Training;

/// <summary>
/// Knowledge distillation as QAT's objective: L = (1−α)·CE + α·T²·KL(softmax(teacher/T) ‖ softmax(student/T)) per
/// target token (<see cref="CausalLmLoss"/>); α = 1 is pure distillation, α = 0 plain SFT.
/// </summary>
public sealed record DistillOptions(float Alpha = 1f, float Temperature = 1f)
{
    public void Validate()
    {
        if (!(Alpha is >= 0 and <= 1)) throw new QuantReasonException($"distillation weight alpha must be in [0, 1], got {Alpha}", "distill.alpha");
        if (!(Temperature > 0)) throw new QuantReasonException($"distillation temperature must be positive, got {Temperature}", "distill.temperature");
    }
}
