namespace QuantReason.Tokenizers;

/// <summary>An ordered list of <see cref="PreTokenizerStep"/>s; no steps means the whole text is one piece.</summary>
public sealed class PreTokenizer
{
    public static readonly PreTokenizer None = new([]);

    public IReadOnlyList<PreTokenizerStep> Steps { get; }

    public PreTokenizer(IReadOnlyList<PreTokenizerStep> steps) => Steps = steps;

    public static PreTokenizer FromPatterns(IEnumerable<string> patterns, RegexDialect dialect = RegexDialect.Ecma) =>
        new(patterns.Select(p => (PreTokenizerStep)new RegexSplitStep(new PreTokenizerRegex(p, dialect))).ToList());

    /// <param name="isFirst">The text starts the input (HF Metaspace prepend_scheme "first" prepends only then).</param>
    public List<string> Split(string text, bool isFirst = true)
    {
        var pieces = new List<string> { text };
        var next = new List<string>();
        foreach (var step in Steps)
        {
            next.Clear();
            for (var i = 0; i < pieces.Count; i++) step.Split(pieces[i], next, isFirst && i == 0);
            (pieces, next) = (next, pieces);
        }
        pieces.RemoveAll(p => p.Length == 0);
        return pieces;
    }
}
