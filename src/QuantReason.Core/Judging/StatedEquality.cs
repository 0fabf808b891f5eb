namespace QuantReason.Judging;

/// <summary>
/// One explicit equality a step states: the two sides around one '=' (a chain a = b = c gives a = b and b = c), as
/// written, whether it stood in prose rather than inside math delimiters, and whether words may follow the right side
/// (a unit, "full boxes"), which makes an integer for a fraction a plausible rounding rather than a false claim.
/// </summary>
public sealed record StatedEquality(string Left, string Right, bool InProse, bool WordsMayFollow = true)
{
    public override string ToString() => $"{Left.Trim()} = {Right.Trim()}";
}
