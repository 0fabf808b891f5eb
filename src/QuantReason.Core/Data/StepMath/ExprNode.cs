namespace QuantReason.Data.StepMath;

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
    public List<ExprNode> Operations()
    {
        var list = new List<ExprNode>(8);
        CollectOperations(list);
        return list;
    }

    void CollectOperations(List<ExprNode> list)
    {
        if (IsLiteral) return;
        Left!.CollectOperations(list);
        Right!.CollectOperations(list);
        list.Add(this);
    }

    /// <summary>Adds the values of all literals to <paramref name="set"/>.</summary>
    public void CollectLeafValues(HashSet<long> set)
    {
        if (IsLiteral) { set.Add(Value); return; }
        Left!.CollectLeafValues(set);
        Right!.CollectLeafValues(set);
    }

    /// <summary>
    /// The operations in the order a careful solver writes them: among the operations whose operands are ready, the
    /// most deeply parenthesised first, then multiplicative before additive, then leftmost.
    /// </summary>
    public List<ExprNode> CanonicalOrder()
    {
        var pending = Operations();
        var order = new List<ExprNode>(pending.Count);
        bool Ready(ExprNode c) => c.IsLiteral || order.Contains(c);
        while (pending.Count > 0)
        {
            int best = -1;
            for (int i = 0; i < pending.Count; i++)
            {
                var n = pending[i];
                if (!Ready(n.Left!) || !Ready(n.Right!)) continue;
                if (best < 0 || Precedes(n, pending[best])) best = i;
            }
            order.Add(pending[best]);
            pending.RemoveAt(best);
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
