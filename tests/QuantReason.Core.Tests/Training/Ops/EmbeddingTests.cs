using QuantReason.Training.Ops;

namespace QuantReason.Tests.Training.Ops;

public class EmbeddingTests
{
    [Fact]
    public void Backward_matches_finite_differences_with_repeated_ids()
    {
        var rng = new Random(1);
        int vocab = 7, hidden = 5;
        int[] ids = [3, 0, 3, 6, 3];
        var table = GradCheck.Random(rng, vocab * hidden);
        var r = GradCheck.Random(rng, ids.Length * hidden);
        var x = new float[ids.Length * hidden];
        double Loss() { Embedding.Forward(ids, table, hidden, x); return GradCheck.Project(x, r); }
        var grad = new float[table.Length];
        Embedding.Backward(ids, r, hidden, grad);
        GradCheck.Check(table, Loss, grad, "dTable");
    }

    [Fact]
    public void An_id_outside_the_vocabulary_is_a_clear_error()
    {
        var e = Assert.Throws<QuantReasonException>(() => Embedding.Forward([1, 9], new float[4 * 2], 2, new float[4]));
        Assert.Contains("outside the vocabulary", e.Message);
    }
}
