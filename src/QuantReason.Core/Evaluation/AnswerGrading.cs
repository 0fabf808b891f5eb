using QuantReason.Evaluation.Equivalence;

namespace QuantReason.Evaluation;

/// <summary>
/// One graded comparison: what was extracted from each side (with the rule that fired) and the grader's verdict.
/// With extraction turned off, both extractions are the raw texts with no rule.
/// </summary>
public sealed record GradedAnswer(Extraction Gold, Extraction Predicted, Verdict Verdict)
{
    public bool Correct => Verdict.Equivalent;
}

/// <summary>
/// The single entry point for deciding whether an answer is right: the same <see cref="AnswerExtractor"/> step is applied
/// to BOTH sides (a gold field may be a whole solution, a sentence or <c>$…$</c>-delimited LaTeX just as a prediction
/// may) and the extracted answers go to <see cref="Grader"/>. Every path (eval, eval import, grade --pairs,
/// grade --predictions, maj@k, judges, reward functions) calls this, so they cannot drift apart.
/// </summary>
public static class AnswerGrading
{
    public static GradedAnswer Grade(string gold, string? predicted, bool extract = true)
    {
        var g = extract ? ExtractGold(gold) : new Extraction(gold, null);
        var p = predicted is null ? Extraction.None : extract ? AnswerExtractor.Extract(predicted) : new Extraction(predicted, null);
        return new GradedAnswer(g, p, Grader.Equivalent(g.Answer ?? gold, p.Answer));
    }

    /// <summary>Grades an answer that was already extracted (a stored <c>extracted</c> field) against a gold field,
    /// which still goes through the extraction step.</summary>
    public static GradedAnswer GradeExtracted(string gold, Extraction predicted)
    {
        var g = ExtractGold(gold);
        return new GradedAnswer(g, predicted, Grader.Equivalent(g.Answer ?? gold, predicted.Answer));
    }

    /// <summary>The gold side's extraction; a gold from which nothing can be extracted stands as written.</summary>
    public static Extraction ExtractGold(string gold)
    {
        var e = AnswerExtractor.Extract(gold);
        return e.Answer is null ? new Extraction(gold.Trim(), null) : e;
    }
}
