using QuantReason.Evaluation.Runs;
namespace QuantReason.Judging;

/// <summary>The panel's decision on one case before any baseline: the step and type, or a conflict.</summary>
public sealed record VoteResult(int? Step, string? Type, bool Conflict, int Cast, int ForWinner);

/// <summary>
/// Majority vote over the judges that did not abstain. The first error step wins with a strict majority of the votes
/// cast; its type is the most common among the judges that chose that step. No strict majority on the step (a tie
/// included), or a tie on the type, is a conflict: the baseline judge settles it and the case is flagged for review.
/// </summary>
public static class MajorityVote
{
    public static VoteResult Of(IReadOnlyList<JudgeVote> votes)
    {
        var cast = votes.Where(v => !v.Abstained).ToList();
        if (cast.Count == 0) return new VoteResult(null, null, true, 0, 0);
        var steps = cast.GroupBy(v => v.FirstErrorStep!.Value).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).ToList();
        var top = steps[0];
        if (2 * top.Count() <= cast.Count) return new VoteResult(top.Key, null, true, cast.Count, top.Count());
        if (top.Key < 0) return new VoteResult(-1, null, false, cast.Count, top.Count());
        var types = top.GroupBy(v => v.ErrorType).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
        bool typeTie = types.Count > 1 && types[0].Count() == types[1].Count();
        return new VoteResult(top.Key, types[0].Key, typeTie, cast.Count, top.Count());
    }
}
