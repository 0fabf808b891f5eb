using QuantReason.Evaluation.Runs;
using QuantReason.Judging;

namespace QuantReason.Tests.Judging;

public sealed class MajorityVoteTests
{
    static JudgeVote V(string j, int? step, string? type = "computational_error") => new(j, step, step is null or < 0 ? null : type, null);

    [Fact]
    public void A_strict_majority_of_the_votes_cast_wins_and_abstentions_do_not_count()
    {
        var r = MajorityVote.Of([V("a", 2), V("b", 2), V("c", 0), V("d", null)]);
        Assert.Equal((2, "computational_error", false, 3, 2), (r.Step, r.Type, r.Conflict, r.Cast, r.ForWinner));
        Assert.Equal((-1, false), (MajorityVote.Of([V("a", -1), V("b", -1), V("c", 1)]).Step, MajorityVote.Of([V("a", -1), V("b", -1), V("c", 1)]).Conflict));
    }

    [Fact]
    public void Ties_no_majority_and_type_ties_are_conflicts()
    {
        Assert.True(MajorityVote.Of([V("a", 1), V("b", 2)]).Conflict);
        Assert.True(MajorityVote.Of([V("a", 1), V("b", 2), V("c", 3)]).Conflict);
        var typeTie = MajorityVote.Of([V("a", 1, "computational_error"), V("b", 1, "logical_reasoning_error")]);
        Assert.Equal((1, true), (typeTie.Step, typeTie.Conflict));
        var none = MajorityVote.Of([V("a", null), V("b", null)]);
        Assert.Equal((null, true, 0), (none.Step, none.Conflict, none.Cast));
    }

    [Fact]
    public void The_type_is_the_most_common_among_the_winning_steps_voters() =>
        Assert.Equal("symbolic_manipulation_error", MajorityVote.Of([V("a", 1, "symbolic_manipulation_error"), V("b", 1, "symbolic_manipulation_error"),
            V("c", 1, "computational_error"), V("d", 0, "computational_error"), V("e", 0, "computational_error")]).Type);
}
