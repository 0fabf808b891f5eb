namespace QuantReason.Data.StepMath;

/// <summary>
/// A StepMath problem understood from its text alone: the expression tree that answers it, the wrong formulas a solver
/// might follow instead, the numbers it gives (including a formula's constants such as the 2 of a perimeter), and its
/// domain constraints. The generator and the verifier both go through <see cref="Parse"/>, so what is generated is
/// exactly what is verified.
/// </summary>
public sealed class StepMathProblem
{
    public string Text { get; }
    public ProblemKind Kind { get; }
    public ExprNode Root { get; }
    public IReadOnlyList<ExprNode> WrongFormulas { get; }
    /// <summary>Numbers a step may use without computing them: the problem's numbers and its formulas' constants.</summary>
    public IReadOnlySet<long> Givens { get; }
    /// <summary>Every quantity is a count or amount: a negative result is a boundary-condition error.</summary>
    public bool NonNegative { get; }
    /// <summary>The answer is a ceiling of a division: the remainder decides whether one more is needed.</summary>
    public bool CeilDivision { get; }
    /// <summary>The operations in the canonical order (see <see cref="ExprNode.CanonicalOrder"/>).</summary>
    public IReadOnlyList<ExprNode> Plan { get; }

    StepMathProblem(string text, ProblemKind kind, ExprNode root, IReadOnlyList<ExprNode> wrong, bool nonNegative, bool ceil)
    {
        Text = text; Kind = kind; Root = root; WrongFormulas = wrong; NonNegative = nonNegative; CeilDivision = ceil;
        var givens = new HashSet<long>();
        root.CollectLeafValues(givens);
        foreach (var w in wrong) w.CollectLeafValues(givens);
        if (ceil) givens.Add(1); // the "one more" of a ceiling is part of the formula even when the division is exact
        Givens = givens;
        Plan = root.CanonicalOrder();
    }

    public long Answer => Root.Value;
    public string Subject => Kind.Subject();
    /// <summary>Level = number of operations = number of steps of the canonical solution.</summary>
    public int Level => Plan.Count;

    public IEnumerable<Step> Steps => Plan.Select(n => n.ToStep());

    string? _solution;

    /// <summary>The canonical solution in the step-tag format (rendered once).</summary>
    public string Solution => _solution ??= SolutionFormat.Render(Steps, Answer);

    /// <summary>Parses a problem in the word notation of <see cref="WordProblems"/> or an arithmetic chain.</summary>
    public static StepMathProblem Parse(string text, string where = "problem")
    {
        if (WordProblems.TryCompile(text) is { } w)
        {
            var root = ExpressionParser.Parse(w.Formula, where);
            var wrong = new List<ExprNode>();
            foreach (var f in w.WrongFormulas)
                if (ExpressionParser.TryParse(f, out var n)) wrong.Add(n!); // a wrong formula undefined here cannot be followed
            return new StepMathProblem(text, w.Kind, root, wrong, w.NonNegative, w.CeilDivision);
        }
        foreach (var c in text)
            if (!(char.IsAsciiDigit(c) || c is '+' or '-' or '*' or '(' or ')'))
                throw new QuantReasonException($"not a StepMath problem: '{text}' (unexpected '{c}')", where);
        var tree = ExpressionParser.Parse(text, where);
        if (tree.IsLiteral) throw new QuantReasonException($"not a StepMath problem: '{text}' has no operation", where);
        return new StepMathProblem(text, ProblemKind.Arithmetic, tree, [], false, false);
    }

    public override string ToString() => Text;
}
