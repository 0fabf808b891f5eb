using System.Globalization;
using System.Text;
using QuantReason.Data.StepMath;

namespace QuantReason.Judging;

/// <summary>A corrupted solution with the error it was built to contain and that error's step index.</summary>
public sealed record Mutation(StepErrorType Type, int FirstErrorStep, string Output);

/// <summary>
/// Corrupts a problem's correct solution with one error of a chosen type, the way a weakened model would: a wrong sum,
/// a swapped operator or lost sign, an invented operand, a skipped step, an out-of-order operation, the neighbouring
/// concept's formula, a negative count or mishandled remainder, a broken tag. Each mutation is built to satisfy the
/// definitions of <see cref="StepVerifier"/>, so it tests the verifier's labels and doubles as a source of labelled
/// rejected solutions (DPO pairs by error type). Null when the type cannot occur in this problem (e.g. formula misuse
/// in an arithmetic chain).
/// </summary>
public static class StepMutator
{
    static readonly StepOp[] Ops = [StepOp.Add, StepOp.Sub, StepOp.Mul];

    public static Mutation? Mutate(StepMathProblem p, StepErrorType type, ref StepRandom rng) => type switch
    {
        StepErrorType.ComputationError => Computation(p, ref rng),
        StepErrorType.SymbolError => Symbol(p, ref rng),
        StepErrorType.MisunderstandingOfProblem => Misunderstanding(p, ref rng),
        StepErrorType.StepOmission => Omission(p, ref rng),
        StepErrorType.LogicalError => Logical(p, ref rng),
        StepErrorType.FormulaMisuse => Formula(p, ref rng),
        StepErrorType.BoundaryConditionError => Boundary(p, ref rng),
        StepErrorType.FormatError => Format(p, ref rng),
        _ => null,
    };

    static List<Step> StepsOf(StepMathProblem p) => p.Plan.Select(n => n.ToStep()).ToList();

    /// <summary>Givens and the results of the first <paramref name="k"/> canonical steps.</summary>
    static HashSet<long> AvailableBefore(StepMathProblem p, int k)
    {
        var set = new HashSet<long>(p.Givens);
        for (int i = 0; i < k; i++) set.Add(p.Plan[i].Value);
        return set;
    }

    static string Render(IEnumerable<string> steps, string? answerSegment)
    {
        var sb = new StringBuilder(128);
        foreach (var s in steps) sb.Append(SolutionFormat.StepStart).Append(s).Append(SolutionFormat.StepEnd);
        if (answerSegment is not null) sb.Append(SolutionFormat.AnswerStart).Append(answerSegment).Append(SolutionFormat.AnswerEnd);
        return sb.ToString();
    }

    static string Boxed(long v) => $"{SolutionFormat.BoxedOpen}{v.ToString(CultureInfo.InvariantCulture)}}}";

    static Mutation Make(StepErrorType t, int index, IEnumerable<Step> steps, long answer) =>
        new(t, index, Render(steps.Select(s => s.Render()), Boxed(answer)));

    static Step? Recompute(long a, StepOp op, long b) =>
        op.Apply(a, b) is { } r ? new Step(a, op, b, r.Value, op == StepOp.Div && r.Remainder != 0 ? r.Remainder : null) : null;

    /// <summary>Whether the verifier would accept <paramref name="s"/> as a step of the problem or read it otherwise.</summary>
    static bool Conflicts(StepMathProblem p, Step s)
    {
        if (p.Plan.Any(n => StepVerifier.Computes(n, s))) return true;
        if (p.WrongFormulas.SelectMany(w => w.Operations()).Any(n => StepVerifier.Computes(n, s))) return true;
        if (p.NonNegative && s.Result < 0) return true;
        if (p.CeilDivision && s.Op == StepOp.Add && (s.Left == 1 || s.Right == 1)) return true;
        return false;
    }

    static Mutation? Computation(StepMathProblem p, ref StepRandom rng)
    {
        var steps = StepsOf(p);
        int k = (int)rng.Next(0, steps.Count - 1);
        long delta = rng.Chance(0.5) ? rng.Next(1, 9) : 10 * rng.Next(1, 3);
        if (rng.Chance(0.5)) delta = -delta;
        steps[k] = steps[k] with { Result = steps[k].Result + delta };
        return Make(StepErrorType.ComputationError, k, steps, p.Answer);
    }

    static Mutation? Symbol(StepMathProblem p, ref StepRandom rng)
    {
        var steps = StepsOf(p);
        var options = new List<Func<Mutation?>>();
        for (int k = 0; k < steps.Count; k++)
        {
            var s = steps[k];
            int kk = k;
            // a wrong operator copied
            if (s.Op != StepOp.Div)
                foreach (var op in Ops)
                    if (op != s.Op && Recompute(s.Left, op, s.Right) is { } m && !Conflicts(p, m))
                        options.Add(() => Make(StepErrorType.SymbolError, kk, Replace(steps, kk, m), p.Answer));
            // an earlier result copied with its sign lost or gained
            var available = AvailableBefore(p, k);
            for (int side = 0; side < 2; side++)
            {
                long v = side == 0 ? s.Left : s.Right;
                if (v == 0 || p.Givens.Contains(v) || available.Contains(-v)) continue;
                var m = side == 0 ? Recompute(-v, s.Op, s.Right) : Recompute(s.Left, s.Op, -v);
                if (m is { } mm) options.Add(() => Make(StepErrorType.SymbolError, kk, Replace(steps, kk, mm), p.Answer));
            }
        }
        // the answer copied with its sign flipped
        if (p.Answer != 0 && !p.NonNegative && !AvailableBefore(p, steps.Count).Contains(-p.Answer))
            options.Add(() => Make(StepErrorType.SymbolError, steps.Count, steps, -p.Answer));
        return options.Count == 0 ? null : rng.Pick(options)();
    }

    static Mutation? Misunderstanding(StepMathProblem p, ref StepRandom rng)
    {
        var steps = StepsOf(p);
        int k = (int)rng.Next(0, steps.Count - 1);
        var s = steps[k];
        var forbidden = AvailableBefore(p, steps.Count);
        foreach (var n in p.Plan) forbidden.Add(n.Value);
        bool right = rng.Chance(0.5);
        long old = right ? s.Right : s.Left;
        for (int attempt = 0; attempt < 50; attempt++)
        {
            long x = rng.Next(1, Math.Max(20, 2 * Math.Abs(old)));
            if (forbidden.Contains(x) || forbidden.Contains(-x)) continue;
            var m = right ? Recompute(s.Left, s.Op, x) : Recompute(x, s.Op, s.Right);
            if (m is { } mm) return Make(StepErrorType.MisunderstandingOfProblem, k, Replace(steps, k, mm), p.Answer);
        }
        return null;
    }

    static Mutation? Omission(StepMathProblem p, ref StepRandom rng)
    {
        var steps = StepsOf(p);
        var options = new List<(int Removed, int Index)>();
        for (int k = 0; k < steps.Count - 1; k++)
        {
            long v = steps[k].Result;
            int j = steps.FindIndex(k + 1, s => s.Left == v || s.Right == v);
            if (j < 0) continue;
            var available = AvailableBefore(p, j);
            available.Remove(v);
            if (p.Givens.Contains(v) || Enumerable.Range(0, j).Any(i => i != k && steps[i].Result == v)) continue;
            if (available.Contains(-v) && v != 0) continue;
            options.Add((k, j - 1));
        }
        // the last step left out and an earlier number given as the answer
        if (!p.CeilDivision) options.Add((steps.Count - 1, steps.Count - 1));
        if (options.Count == 0) return null;
        var (removed, index) = rng.Pick(options);
        var kept = steps.Where((_, i) => i != removed).ToList();
        if (removed < steps.Count - 1) return Make(StepErrorType.StepOmission, index, kept, p.Answer);
        long answer = kept.Count > 0 ? kept[^1].Result : steps[^1].Left;
        if (answer == p.Answer || (p.NonNegative && answer < 0)) return null;
        return Make(StepErrorType.StepOmission, index, kept, answer);
    }

    static Mutation? Logical(StepMathProblem p, ref StepRandom rng)
    {
        var steps = StepsOf(p);
        int k = (int)rng.Next(0, steps.Count - 1);
        var values = AvailableBefore(p, k).Order().ToArray();
        var candidates = new List<Step>();
        foreach (var x in values)
            foreach (var y in values)
                foreach (var op in Ops)
                {
                    if (Recompute(x, op, y) is not { } m || Math.Abs(m.Result) > 99_999 || Conflicts(p, m)) continue;
                    if (p.Plan.Skip(k).Any(n => (n.Left!.Value == x && n.Right!.Value == y) || (n.Left.Value == y && n.Right!.Value == x))) continue;
                    candidates.Add(m);
                }
        if (candidates.Count == 0) return null;
        return Make(StepErrorType.LogicalError, k, Replace(steps, k, rng.Pick(candidates)), p.Answer);
    }

    static Mutation? Formula(StepMathProblem p, ref StepRandom rng)
    {
        if (p.WrongFormulas.Count == 0) return null;
        var wrong = rng.Pick(p.WrongFormulas);
        var steps = wrong.CanonicalOrder().Select(n => n.ToStep()).ToList();
        int index = steps.FindIndex(s => !p.Plan.Any(n => StepVerifier.Computes(n, s)));
        if (index < 0 || wrong.Value == p.Answer || (p.NonNegative && steps.Any(s => s.Result < 0))) return null;
        return Make(StepErrorType.FormulaMisuse, index, steps, wrong.Value);
    }

    static Mutation? Boundary(StepMathProblem p, ref StepRandom rng)
    {
        if (!p.NonNegative) return null;
        var steps = StepsOf(p);
        var options = new List<Func<Mutation>>();
        for (int k = 0; k < steps.Count; k++)
        {
            var s = steps[k];
            int kk = k;
            // the subtraction turned round: a negative amount
            if (s.Op == StepOp.Sub && s.Result > 0)
                options.Add(() => Make(StepErrorType.BoundaryConditionError, kk, Replace(steps, kk, new Step(s.Right, StepOp.Sub, s.Left, -s.Result)), -p.Answer));
        }
        if (p.CeilDivision && p.Plan.First(n => n.Op == StepOp.Div) is var div)
        {
            if (div.Remainder != 0)
            {
                // the remainder dropped from the division, or the "one more" for it left out
                options.Add(() => Make(StepErrorType.BoundaryConditionError, 0, Replace(steps, 0, steps[0] with { Remainder = null }), div.Value));
                options.Add(() => Make(StepErrorType.BoundaryConditionError, 1, steps.Take(1), div.Value));
            }
            else
                options.Add(() => Make(StepErrorType.BoundaryConditionError, 1,
                    [.. steps, new Step(div.Value, StepOp.Add, 1, div.Value + 1)], div.Value + 1));
        }
        return options.Count == 0 ? null : rng.Pick(options)();
    }

    static Mutation? Format(StepMathProblem p, ref StepRandom rng)
    {
        var texts = StepsOf(p).Select(s => s.Render()).ToList();
        int n = texts.Count;
        switch (rng.Next(0, 3))
        {
            case 0: return new(StepErrorType.FormatError, n, Render(texts, null));
            case 1: return new(StepErrorType.FormatError, n, Render(texts, rng.Chance(0.5) ? $"{SolutionFormat.BoxedOpen}}}" : p.Answer.ToString(CultureInfo.InvariantCulture)));
            case 2:
            {
                int k = (int)rng.Next(0, n - 1);
                texts[k] = texts[k].Replace("=", rng.Chance(0.5) ? "" : "==");
                return new(StepErrorType.FormatError, k, Render(texts, Boxed(p.Answer)));
            }
            default:
            {
                // a step whose closing tag is lost: the next tag arrives first
                int k = (int)rng.Next(0, n - 1);
                var output = Render(texts, Boxed(p.Answer));
                int at = -1;
                for (int i = 0; i <= k; i++) at = output.IndexOf(SolutionFormat.StepEnd, at + 1, StringComparison.Ordinal);
                return new(StepErrorType.FormatError, k, output.Remove(at, SolutionFormat.StepEnd.Length));
            }
        }
    }

    static List<Step> Replace(List<Step> steps, int k, Step s)
    {
        var copy = new List<Step>(steps) { [k] = s };
        return copy;
    }
}
