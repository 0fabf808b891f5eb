namespace QuantReason.Training;

/// <summary>Linear warmup from 0 to the peak over WarmupSteps, then cosine decay to MinRatio·peak at TotalSteps.</summary>
public sealed record LrSchedule(float PeakLr, int WarmupSteps, int TotalSteps, float MinRatio = 0.1f)
{
    public void Validate()
    {
        if (!(PeakLr > 0)) throw new QuantReasonException($"learning rate must be positive, got {PeakLr}", "schedule");
        if (TotalSteps <= 0 || WarmupSteps < 0 || WarmupSteps > TotalSteps)
            throw new QuantReasonException($"need 0 ≤ warmup ({WarmupSteps}) ≤ steps ({TotalSteps}) and steps > 0", "schedule");
        if (!(MinRatio >= 0 && MinRatio <= 1)) throw new QuantReasonException($"min lr ratio must be in [0, 1], got {MinRatio}", "schedule");
    }

    /// <summary>The rate for 0-based optimizer step <paramref name="step"/>.</summary>
    public float At(int step)
    {
        if (step < WarmupSteps) return PeakLr * (step + 1) / WarmupSteps;
        int decay = TotalSteps - WarmupSteps;
        double progress = decay <= 1 ? 1 : Math.Min(1.0, (double)(step - WarmupSteps) / (decay - 1));
        double cos = 0.5 * (1 + Math.Cos(Math.PI * progress));
        return (float)(PeakLr * (MinRatio + (1 - MinRatio) * cos));
    }
}
