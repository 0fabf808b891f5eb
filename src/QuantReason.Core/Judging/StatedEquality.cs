namespace QuantReason.Judging;

/// <summary>
/// One explicit equality a step states: the two sides around one '=' (a chain a = b = c gives a = b and b = c), as
/// written, and whether it stood in prose rather than inside math delimiters.
/// </summary>
public sealed record StatedEquality(string Left, string Right, bool InProse)
{
    public override string ToString() => $"{Left.Trim()} = {Right.Trim()}";
}
