namespace QuantReason.StepMath;

/// <summary>
/// A node of a problem's expression tree: a literal, or a binary operation whose <see cref="Value"/> is its exact result
/// (the Euclidean quotient for division, with <see cref="Remainder"/>). Depth and Position record where the operator
/// stood in the source so that the canonical step order is the school order: innermost parentheses first, then
/// multiplications, then additions, each left to right.
/// </summary>
public sealed class ExprNode
{
    public StepOp? Op { get; }
    public long Value { get; }
    public long Remainder { get; }
    public ExprNode? Left { get; }
    public ExprNode? Right { get; }
    public int Depth { get; }
    public int Position { get; }

    ExprNode(StepOp? op, long value, long remainder, ExprNode? left, ExprNode? right, int depth, int position)
    {
        Op = op; Value = value; Remainder = remainder; Left = left; Right = right; Depth = depth; Position = position;
    }

    public bool IsLiteral => Op is null;

    public static ExprNode Literal(long value) => new(null, value, 0, null, null, 0, -1);

    /// <summary>Null when the operation is undefined on these operands (see <see cref="StepOps.Apply"/>).</summary>
    public static ExprNode? Binary(StepOp op, ExprNode left, ExprNode right, int depth, int position) =>
        op.Apply(left.Value, right.Value) is { } r
            ? new ExprNode(op, r.Value, r.Remainder, left, right, depth, position)
            : null;

    /// <summary>All operation nodes, children before parents.</summary>
    public IEnumerable<ExprNode> Operations()
    {
        if (IsLiteral) yield break;
        foreach (var n in Left!.Operations()) yield return n;
        foreach (var n in Right!.Operations()) yield return n;
        yield return this;
    }

    public IEnumerable<long> LeafValues()
    {
        if (IsLiteral) { yield return Value; yield break; }
        foreach (var v in Left!.LeafValues()) yield return v;
        foreach (var v in Right!.LeafValues()) yield return v;
    }

    /// <summary>
    /// The operations in the order a careful solver writes them: among the operations whose operands are ready, the
    /// most deeply parenthesised first, then multiplicative before additive, then leftmost.
    /// </summary>
    public List<ExprNode> CanonicalOrder()
    {
        var pending = Operations().ToList();
        var done = new HashSet<ExprNode>(ReferenceEqualityComparer.Instance);
        var order = new List<ExprNode>(pending.Count);
        while (pending.Count > 0)
        {
            ExprNode? best = null;
            foreach (var n in pending)
            {
                if (!(n.Left!.IsLiteral || done.Contains(n.Left)) || !(n.Right!.IsLiteral || done.Contains(n.Right))) continue;
                if (best is null || Precedes(n, best)) best = n;
            }
            pending.Remove(best!);
            done.Add(best!);
            order.Add(best!);
        }
        return order;
    }

    static bool Precedes(ExprNode a, ExprNode b)
    {
        if (a.Depth != b.Depth) return a.Depth > b.Depth;
        bool am = a.Op!.Value.IsMultiplicative(), bm = b.Op!.Value.IsMultiplicative();
        if (am != bm) return am;
        return a.Position < b.Position;
    }

    /// <summary>The step this operation performs, rendered from its operands' values.</summary>
    public Step ToStep() => new(Left!.Value, Op!.Value, Right!.Value, Value, Op == StepOp.Div && Remainder != 0 ? Remainder : null);
}
