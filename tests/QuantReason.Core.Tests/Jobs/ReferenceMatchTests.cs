using QuantReason.Evaluation.Runs;
using QuantReason.Jobs;

namespace QuantReason.Tests.Jobs;

public sealed class ReferenceMatchTests
{
    static PredictionRecord P(string id, string output, bool correct = true, int sample = 0) =>
        new() { ProblemId = id, Sample = sample, Prompt = "<s>" + id, Output = output, Gold = "1", Correct = correct };

    [Fact]
    public void Counts_identical_differing_and_one_sided_predictions()
    {
        List<PredictionRecord> reference = [P("a", "x"), P("b", "y"), P("c", "z"), P("d", "w")];
        List<PredictionRecord> fresh = [P("a", "x"), P("b", "y2"), P("c", "z", correct: false), P("e", "v")];
        var m = ReferenceMatch.Of(reference, fresh);
        Assert.Equal(new ReferenceMatch(true, 1, 2, 2), m); // e only fresh, d only in the reference
        Assert.False(m.Agrees);
        Assert.True(ReferenceMatch.Of(reference, reference).Agrees);
        Assert.Equal(ReferenceMatch.NoReference, ReferenceMatch.Of(null, fresh));
        // samples of one problem are told apart
        Assert.Equal(new ReferenceMatch(true, 0, 0, 2), ReferenceMatch.Of([P("a", "x")], [P("a", "x", sample: 1)]));
    }
}
