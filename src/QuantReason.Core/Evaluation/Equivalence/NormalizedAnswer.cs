namespace QuantReason.Evaluation.Equivalence;

/// <summary>
/// An answer after <see cref="LatexNormalizer"/>: <see cref="Text"/> keeps single spaces (text answers need them),
/// <see cref="Compact"/> drops every space that does not end a command name (what the math parsers read).
/// <see cref="Percent"/> records a removed % sign, <see cref="HadTextMarkup"/> a \text{}/\mbox{} that was unwrapped.
/// </summary>
public sealed record NormalizedAnswer(string Text, string Compact, bool Percent, bool HadTextMarkup);
