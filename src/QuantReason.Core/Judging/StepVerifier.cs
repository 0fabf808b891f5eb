using QuantReason.Data.StepMath;
namespace QuantReason.Judging;

/// <summary>
/// Labels the first error of a step-tag solution with the study's v1 taxonomy. Each step is checked in this order, and
/// the first check that fails labels it, so every mutation gets exactly one label:
/// <list type="number">
/// <item><b>format_error</b>: the step is unterminated or not <c>a op b = c</c>.</item>
/// <item>each operand, left then right, must be a given (a number of the problem or a formula constant) or an earlier
///   result; otherwise <b>symbol_error</b> if its negation is one (a sign lost), <b>step_omission</b> if it is the value
///   of a required intermediate result never computed, else <b>misunderstanding_of_problem</b>.</item>
/// <item>a division that drops a non-zero remainder is a <b>boundary_condition_error</b> in a ceiling problem; any
///   other wrong result is a <b>computation_error</b>.</item>
/// <item>the step computes a required operation (operands in either order for + and ×): correct; repeating one
///   already computed is harmless.</item>
/// <item>word problems: a negative result, or one more box when nothing remains, is a <b>boundary_condition_error</b>.</item>
/// <item>it computes an operation of a wrong formula for the quantity asked: <b>formula_misuse</b>.</item>
/// <item>its operands are those of a pending operation with another operator or in the wrong order:
///   <b>symbol_error</b>.</item>
/// <item>otherwise it is valid arithmetic on known numbers in an order the problem's structure does not allow:
///   <b>logical_error</b>.</item>
/// </list>
/// After valid steps, the answer: missing or not an integer is a <b>format_error</b>; the gold value is correct; the
/// quotient of a ceiling with a remainder, or a negative count, is a <b>boundary_condition_error</b>; a final result never
/// computed is a <b>step_omission</b>; an earlier result given as the answer is a <b>logical_error</b>; any other value
/// (a sign or digits miscopied) is a <b>symbol_error</b>. Answer errors carry the step index <c>num_steps</c>.
/// </summary>
public static class StepVerifier
{
    public static StepVerdict Verify(StepMathProblem problem, string output) =>
        Verify(problem, SolutionFormat.Parse(output));

    public static StepVerdict Verify(StepMathProblem problem, ParsedOutput parsed)
    {
        int count = parsed.Steps.Count;
        var answer = parsed.Answer;
        StepVerdict Fail(StepErrorType t, int i, string why) => new(t, i, count, why, answer);

        var available = new HashSet<long>(problem.Givens);
        var computed = new HashSet<ExprNode>(ReferenceEqualityComparer.Instance);
        var wrongOps = problem.WrongFormulas.SelectMany(w => w.Operations()).ToList();
        var division = problem.CeilDivision ? problem.Plan.FirstOrDefault(n => n.Op == StepOp.Div) : null;

        for (int i = 0; i < count; i++)
        {
            var raw = parsed.Steps[i];
            if (!raw.Terminated) return Fail(StepErrorType.FormatError, i, $"step '{raw.Text}' is not closed");
            if (!Step.TryParse(raw.Text, out var s)) return Fail(StepErrorType.FormatError, i, $"step '{raw.Text}' is not 'a op b = c'");

            foreach (var x in (ReadOnlySpan<long>)[s.Left, s.Right])
            {
                if (available.Contains(x)) continue;
                if (x != 0 && available.Contains(-x))
                    return Fail(StepErrorType.SymbolError, i, $"{x} is {-x} with its sign changed");
                if (problem.Plan.Any(n => !computed.Contains(n) && n.Value == x))
                    return Fail(StepErrorType.StepOmission, i, $"{x} is an intermediate result that was never computed");
                return Fail(StepErrorType.MisunderstandingOfProblem, i, $"{x} appears neither in the problem nor in earlier results");
            }

            if (!s.IsArithmeticValid)
            {
                var truth = s.Op.Apply(s.Left, s.Right);
                if (problem.CeilDivision && s.Op == StepOp.Div && truth is { } t && t.Value == s.Result && t.Remainder != 0 && s.Remainder is null)
                    return Fail(StepErrorType.BoundaryConditionError, i, $"{s.Left}/{s.Right} leaves {t.Remainder}, which the step drops");
                return Fail(StepErrorType.ComputationError, i,
                    truth is { } v ? $"{s.Render()} is wrong: {new Step(s.Left, s.Op, s.Right, v.Value, v.Remainder == 0 ? null : v.Remainder).Render()}"
                                   : $"{s.Render()} is undefined");
            }

            var node = problem.Plan.FirstOrDefault(n => !computed.Contains(n) && Computes(n, s))
                       ?? problem.Plan.FirstOrDefault(n => computed.Contains(n) && Computes(n, s));
            if (node is not null)
            {
                MarkComputed(node, computed);
                available.Add(s.Result);
                continue;
            }

            if (problem.NonNegative && s.Result < 0)
                return Fail(StepErrorType.BoundaryConditionError, i, $"{s.Render()} gives a negative count or amount");
            if (division is { Remainder: 0 } && s.Op == StepOp.Add && SameOperands(s, division.Value, 1))
                return Fail(StepErrorType.BoundaryConditionError, i, $"{division.Left!.Value}/{division.Right!.Value} leaves nothing, yet one more is added");
            if (wrongOps.Any(n => Computes(n, s)))
                return Fail(StepErrorType.FormulaMisuse, i, $"{s.Render()} follows the wrong formula for a {problem.Kind} problem");
            if (problem.Plan.FirstOrDefault(n => !computed.Contains(n) && SameOperands(s, n.Left!.Value, n.Right!.Value)) is { } meant)
                return Fail(StepErrorType.SymbolError, i, $"{s.Render()} should be {meant.ToStep().Render()}");
            return Fail(StepErrorType.LogicalError, i, $"{s.Render()} is valid arithmetic but breaks the order of the problem");
        }

        if (!parsed.HasAnswerSegment) return Fail(StepErrorType.FormatError, count, "no answer segment");
        if (answer is not { } a) return Fail(StepErrorType.FormatError, count, parsed.AnswerText is null ? "no \\boxed{} answer" : $"answer '{parsed.AnswerText}' is not an integer");
        if (a == problem.Answer) return new StepVerdict(StepErrorType.None, -1, count, "correct", answer);
        if (division is not null && (division.Remainder != 0 ? a == division.Value : a == division.Value + 1))
            return Fail(StepErrorType.BoundaryConditionError, count, $"answer {a} mishandles the remainder of {division.Left!.Value}/{division.Right!.Value}");
        if (problem.NonNegative && a < 0) return Fail(StepErrorType.BoundaryConditionError, count, $"answer {a} is a negative count or amount");
        if (!computed.Contains(problem.Root)) return Fail(StepErrorType.StepOmission, count, $"the final result {problem.Answer} is never computed");
        if (available.Contains(a) && a != -problem.Answer)
            return Fail(StepErrorType.LogicalError, count, $"answer {a} is an earlier number, not the final result {problem.Answer}");
        return Fail(StepErrorType.SymbolError, count, $"answer {a} miscopies the final result {problem.Answer}");
    }

    /// <summary>Whether the step performs this operation (either operand order for + and ×).</summary>
    public static bool Computes(ExprNode n, Step s) =>
        n.Op == s.Op && ((n.Left!.Value == s.Left && n.Right!.Value == s.Right)
                         || (s.Op.IsCommutative() && n.Left.Value == s.Right && n.Right!.Value == s.Left));

    static bool SameOperands(Step s, long a, long b) => (s.Left == a && s.Right == b) || (s.Left == b && s.Right == a);

    // Operands are matched by value: an intermediate whose value was available anyway counts as computed.
    static void MarkComputed(ExprNode n, HashSet<ExprNode> computed)
    {
        if (n.IsLiteral || !computed.Add(n)) return;
        MarkComputed(n.Left!, computed);
        MarkComputed(n.Right!, computed);
    }
}
