using System.Globalization;
using System.Text;

namespace QuantReason.Data.StepMath;

/// <summary>
/// One checkable step, <c>48+27=75</c>: a single binary operation on two integers and its claimed result. Division
/// steps carry a remainder when there is one (<c>40/6=6r4</c>). Negative numbers carry their sign (<c>4*-3=-12</c>).
/// </summary>
public readonly record struct Step(long Left, StepOp Op, long Right, long Result, long? Remainder = null)
{
    public override string ToString() => Render();

    public string Render()
    {
        var sb = new StringBuilder(24);
        AppendTo(sb);
        return sb.ToString();
    }

    public void AppendTo(StringBuilder sb)
    {
        sb.Append(Left.ToString(CultureInfo.InvariantCulture)).Append(Op.Symbol())
          .Append(Right.ToString(CultureInfo.InvariantCulture)).Append('=')
          .Append(Result.ToString(CultureInfo.InvariantCulture));
        if (Remainder is { } r) sb.Append('r').Append(r.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Whether the claimed result (and remainder) is exactly what the operation gives.</summary>
    public bool IsArithmeticValid =>
        Op.Apply(Left, Right) is { } r && r.Value == Result && (Remainder ?? 0) == r.Remainder
        && Remainder is not 0; // "6r0" is not the canonical form, and no model trained on StepMath writes it

    /// <summary>
    /// Parses <c>a op b = c</c> (spaces ignored), with an optional <c>rN</c> remainder after a division's result.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> text, out Step step)
    {
        step = default;
        Span<char> buf = stackalloc char[Math.Min(text.Length, 128)];
        int n = 0;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c)) continue;
            if (n == buf.Length) return false;
            buf[n++] = c;
        }
        ReadOnlySpan<char> s = buf[..n];
        int pos = 0;
        if (!ReadNumber(s, ref pos, out var a)) return false;
        if (pos >= s.Length || !StepOps.TryFromSymbol(s[pos], out var op)) return false;
        pos++;
        if (!ReadNumber(s, ref pos, out var b)) return false;
        if (pos >= s.Length || s[pos] != '=') return false;
        pos++;
        if (!ReadNumber(s, ref pos, out var c2)) return false;
        long? rem = null;
        if (pos < s.Length && s[pos] == 'r' && op == StepOp.Div)
        {
            pos++;
            if (!ReadNumber(s, ref pos, out var r) || r < 0) return false;
            rem = r;
        }
        if (pos != s.Length) return false;
        step = new Step(a, op, b, c2, rem);
        return true;
    }

    static bool ReadNumber(ReadOnlySpan<char> s, ref int pos, out long value)
    {
        value = 0;
        bool negative = pos < s.Length && s[pos] == '-';
        if (negative) pos++;
        int start = pos;
        while (pos < s.Length && char.IsAsciiDigit(s[pos]))
        {
            if (pos - start >= 15) return false;
            value = value * 10 + (s[pos++] - '0');
        }
        if (pos == start) return false;
        if (negative) value = -value;
        return true;
    }
}
