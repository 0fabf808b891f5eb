namespace QuantReason.Data.StepMath;

/// <summary>
/// Parses the integer formulas StepMath problems compile to: non-negative integer literals, + − × / with the usual
/// precedence, left associativity and parentheses. Errors name the offending column.
/// </summary>
public static class ExpressionParser
{
    public static ExprNode Parse(string text, string where = "expression")
    {
        var p = new State(text, where);
        var node = p.ParseSum(0);
        if (p.Pos != text.Length) throw p.Error($"unexpected '{text[p.Pos]}'");
        return node;
    }

    public static bool TryParse(string text, out ExprNode? node)
    {
        try { node = Parse(text); return true; }
        catch (QuantReasonException) { node = null; return false; }
    }

    sealed class State(string text, string where)
    {
        public int Pos;

        public QuantReasonException Error(string message) =>
            new($"{message} at column {Pos + 1} of '{text}'", where);

        public ExprNode ParseSum(int depth) => ParseLevel(depth, additive: true);

        // One loop for both precedence levels: a sum of products, a product of atoms, each left associative.
        ExprNode ParseLevel(int depth, bool additive)
        {
            ExprNode Operand() => additive ? ParseLevel(depth, additive: false) : ParseAtom(depth);
            var left = Operand();
            while (Pos < text.Length && StepOps.TryFromSymbol(text[Pos], out var op) && op.IsMultiplicative() != additive)
            {
                var opPos = Pos++;
                left = Combine(op, left, Operand(), depth, opPos);
            }
            return left;
        }

        ExprNode Combine(StepOp op, ExprNode left, ExprNode right, int depth, int opPos) =>
            ExprNode.Binary(op, left, right, depth, opPos)
            ?? throw new QuantReasonException($"'{op.Symbol()}' is undefined or overflows on {left.Value} and {right.Value} in '{text}'", where);

        ExprNode ParseAtom(int depth)
        {
            if (Pos >= text.Length) throw Error("expected a number or '('");
            if (text[Pos] == '(')
            {
                Pos++;
                var inner = ParseSum(depth + 1);
                if (Pos >= text.Length || text[Pos] != ')') throw Error("expected ')'");
                Pos++;
                return inner;
            }
            var start = Pos;
            long value = 0;
            while (Pos < text.Length && char.IsAsciiDigit(text[Pos]))
            {
                if (Pos - start >= 15) throw Error("number too long");
                value = value * 10 + (text[Pos++] - '0');
            }
            if (Pos == start) throw Error("expected a number or '('");
            return ExprNode.Literal(value);
        }
    }
}
