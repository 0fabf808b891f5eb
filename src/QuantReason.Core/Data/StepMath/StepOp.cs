namespace QuantReason.Data.StepMath;

/// <summary>The four binary operations a StepMath step may perform.</summary>
public enum StepOp { Add, Sub, Mul, Div }

public static class StepOps
{
    public static char Symbol(this StepOp op) => op switch
    {
        StepOp.Add => '+',
        StepOp.Sub => '-',
        StepOp.Mul => '*',
        _ => '/',
    };

    public static bool TryFromSymbol(char c, out StepOp op)
    {
        switch (c)
        {
            case '+': op = StepOp.Add; return true;
            case '-': op = StepOp.Sub; return true;
            case '*': op = StepOp.Mul; return true;
            case '/': op = StepOp.Div; return true;
            default: op = default; return false;
        }
    }

    /// <summary>Operand order does not matter: the verifier accepts `7+12` for `12+7`.</summary>
    public static bool IsCommutative(this StepOp op) => op is StepOp.Add or StepOp.Mul;

    /// <summary>Binds tighter than + and − (multiplicative precedence level).</summary>
    public static bool IsMultiplicative(this StepOp op) => op is StepOp.Mul or StepOp.Div;

    /// <summary>
    /// Exact result, or null when undefined (division by a non-positive divisor, a negative dividend, or overflow).
    /// Division is Euclidean with a remainder: 40/6 = 6 r 4, so word problems can mishandle the remainder visibly.
    /// </summary>
    public static (long Value, long Remainder)? Apply(this StepOp op, long a, long b)
    {
        Int128 r;
        switch (op)
        {
            case StepOp.Add: r = (Int128)a + b; break;
            case StepOp.Sub: r = (Int128)a - b; break;
            case StepOp.Mul: r = (Int128)a * b; break;
            default:
                if (b <= 0 || a < 0) return null;
                return (a / b, a % b);
        }
        if (r > long.MaxValue || r < long.MinValue) return null;
        return ((long)r, 0);
    }
}
