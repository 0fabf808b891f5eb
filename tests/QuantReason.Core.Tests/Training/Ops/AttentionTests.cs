using QuantReason.Training.Ops;

namespace QuantReason.Tests.Training.Ops;

public class AttentionTests
{
    const int Batch = 2, Seq = 5, Heads = 4, KvHeads = 2, Hd = 4;

    [Fact]
    public void Grouped_query_backward_matches_finite_differences()
    {
        var rng = new Random(12);
        int t = Batch * Seq;
        var q = GradCheck.Random(rng, t * Heads * Hd, 2f);
        var k = GradCheck.Random(rng, t * KvHeads * Hd, 2f);
        var v = GradCheck.Random(rng, t * KvHeads * Hd);
        var r = GradCheck.Random(rng, t * Heads * Hd);
        var probs = new float[Batch * Heads * Seq * Seq];
        var o = new float[t * Heads * Hd];
        double Loss() { Attention.Forward(q, k, v, Batch, Seq, Heads, KvHeads, Hd, probs, o); return GradCheck.Project(o, r); }
        Loss();
        var dq = new float[q.Length];
        var dk = new float[k.Length];
        var dv = new float[v.Length];
        Attention.Backward(q, k, v, probs, r, Batch, Seq, Heads, KvHeads, Hd, dq, dk, dv);
        GradCheck.Check(q, Loss, dq, "dq", eps: 1e-3f);
        GradCheck.Check(k, Loss, dk, "dk", eps: 1e-3f);
        GradCheck.Check(v, Loss, dv, "dv", eps: 1e-3f);
    }

    [Fact]
    public void Outputs_never_depend_on_later_tokens()
    {
        var rng = new Random(13);
        int t = Batch * Seq;
        var q = GradCheck.Random(rng, t * Heads * Hd);
        var k = GradCheck.Random(rng, t * KvHeads * Hd);
        var v = GradCheck.Random(rng, t * KvHeads * Hd);
        var o1 = new float[t * Heads * Hd];
        var o2 = new float[o1.Length];
        var probs = new float[Batch * Heads * Seq * Seq];
        Attention.Forward(q, k, v, Batch, Seq, Heads, KvHeads, Hd, probs, o1);
        // Perturb the last position of the first sequence.
        int last = Seq - 1;
        for (int i = 0; i < KvHeads * Hd; i++) { k[last * KvHeads * Hd + i] += 1f; v[last * KvHeads * Hd + i] -= 1f; }
        Attention.Forward(q, k, v, Batch, Seq, Heads, KvHeads, Hd, probs, o2);
        int unchanged = last * Heads * Hd;
        Assert.Equal(o1.AsSpan(0, unchanged).ToArray(), o2.AsSpan(0, unchanged).ToArray());
        Assert.NotEqual(o1.AsSpan(unchanged, Heads * Hd).ToArray(), o2.AsSpan(unchanged, Heads * Hd).ToArray());
        Assert.Equal(o1.AsSpan(Seq * Heads * Hd).ToArray(), o2.AsSpan(Seq * Heads * Hd).ToArray()); // other sequence
        for (int row = 0; row < Batch * Heads * Seq; row++)
            Assert.Equal(1.0, probs.AsSpan(row * Seq, Seq).ToArray().Sum(p => (double)p), 5);
    }
}
