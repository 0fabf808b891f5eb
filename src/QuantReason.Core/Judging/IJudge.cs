using QuantReason.Evaluation.Runs;
namespace QuantReason.Judging;

/// <summary>A judge's answer on one case: its reply, or the reason it abstained; tokens it used.</summary>
public sealed record JudgeOutcome(string Judge, JudgeReply? Reply, string? Failure, int TokensIn = 0, int TokensOut = 0)
{
    public bool Abstained => Reply is null;
    public JudgeVote Vote => new(Judge, Reply?.FirstErrorStep, Reply?.ErrorType, Reply?.Reason ?? Failure);
}

/// <summary>Running totals of one judge: calls, tokens, malformed replies and abstentions.</summary>
public sealed class JudgeUsage
{
    long _calls, _tokensIn, _tokensOut, _malformed, _abstentions;
    public long Calls => Interlocked.Read(ref _calls);
    public long TokensIn => Interlocked.Read(ref _tokensIn);
    public long TokensOut => Interlocked.Read(ref _tokensOut);
    public long Malformed => Interlocked.Read(ref _malformed);
    public long Abstentions => Interlocked.Read(ref _abstentions);

    internal void Call(int tokensIn, int tokensOut)
    {
        Interlocked.Increment(ref _calls);
        Interlocked.Add(ref _tokensIn, tokensIn);
        Interlocked.Add(ref _tokensOut, tokensOut);
    }

    internal void MalformedReply() => Interlocked.Increment(ref _malformed);
    internal void Abstain() => Interlocked.Increment(ref _abstentions);
}

/// <summary>Anything that labels a case's first error: an endpoint model or the step checker.</summary>
public interface IJudge
{
    string Name { get; }
    JudgeUsage Usage { get; }
    Task<JudgeOutcome> JudgeAsync(JudgeCase c, CancellationToken cancel);
}
