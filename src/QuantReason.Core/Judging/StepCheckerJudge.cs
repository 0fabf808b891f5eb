namespace QuantReason.Judging;

/// <summary>The step checker as a panel member: it never abstains and costs no tokens.</summary>
public sealed class StepCheckerJudge(string name) : IJudge
{
    public string Name => name;
    public JudgeUsage Usage { get; } = new();

    public Task<JudgeOutcome> JudgeAsync(JudgeCase c, CancellationToken cancel)
    {
        var check = StepChecker.Check(c.Steps);
        Usage.Call(0, 0);
        var reply = new JudgeReply(check.FirstErrorStep, check.FoundError ? "computational_error" : null, check.Explanation);
        return Task.FromResult(new JudgeOutcome(Name, reply, null));
    }
}
