using System.Text;

namespace QuantReason.Data.StepMath;

/// <summary>
/// Seeded generator of StepMath problems in five levels (level = number of operations = number of steps).
/// Each (seed, split, level) has its own random stream, so problem k of a level regenerates without the others, and
/// the split of a text is fixed by its hash (<see cref="StepMathSplits"/>), so splits never overlap. Validation and test
/// hold distinct problems; train repeats the small level-1 space freely, as a training stream should.
/// </summary>
public sealed class StepMathGenerator
{
    public const int MaxLevel = 5;

    /// <summary>
    /// Every character a problem or a solution (outside the four step tags) may contain, sorted. The trainer's
    /// vocabulary is this alphabet plus the tags and bos/eos/pad.
    /// </summary>
    public const string Alphabet = " ()*+-/0123456789=@\\abcdefhioprstx{}";

    readonly int _seed;
    readonly StepMathOptions _options;

    public StepMathGenerator(int seed, StepMathOptions? options = null)
    {
        _seed = seed;
        _options = (options ?? new StepMathOptions()).Validate();
    }

    /// <summary>
    /// <paramref name="count"/> problems of a split, levels 1–5 in turn (problem i has level i mod 5 + 1). The five
    /// level streams fill their chunks in parallel; each stream is independent, so the output does not depend on the
    /// thread count.
    /// </summary>
    public IEnumerable<StepMathItem> Generate(StepMathSplit split, int count)
    {
        if (count < 0) throw new QuantReasonException($"count {count} is negative", "stepmath generate");
        var streams = Enumerable.Range(1, MaxLevel).Select(l => GenerateLevel(split, l).GetEnumerator()).ToArray();
        var chunks = new StepMathItem[MaxLevel][];
        for (int produced = 0; produced < count;)
        {
            int perLevel = (int)Math.Min(4096, ((long)count - produced + MaxLevel - 1) / MaxLevel); // long: count may be int.MaxValue (an endless stream)
            try
            {
                Parallel.For(0, MaxLevel, l =>
                {
                    var chunk = new StepMathItem[perLevel];
                    for (int k = 0; k < perLevel; k++)
                    {
                        streams[l].MoveNext();
                        chunk[k] = streams[l].Current;
                    }
                    chunks[l] = chunk;
                });
            }
            catch (AggregateException e) when (e.InnerExceptions.OfType<QuantReasonException>().FirstOrDefault() is { } q)
            {
                throw q;
            }
            for (int k = 0; k < perLevel; k++)
                for (int l = 0; l < MaxLevel && produced < count; l++, produced++)
                    yield return chunks[l][k];
        }
    }

    /// <summary>The endless stream of one level of one split.</summary>
    public IEnumerable<StepMathItem> GenerateLevel(StepMathSplit split, int level)
    {
        if (level is < 1 or > MaxLevel) throw new QuantReasonException($"level {level} is not in 1..{MaxLevel}", "stepmath generate");
        var rng = StepRandom.For(_seed, split, level);
        var seen = split == StepMathSplit.Train ? null : new HashSet<string>(StringComparer.Ordinal);
        var sb = new StringBuilder(32);
        int index = 0, misses = 0;
        while (true)
        {
            sb.Clear();
            if (rng.Chance(_options.WordFraction)) Word(ref rng, level, sb);
            else Arithmetic(ref rng, level, sb);
            var text = sb.ToString();
            if (StepMathSplits.Of(text) == split && (seen is null || seen.Add(text)) && Accept(text, level) is { } problem)
            {
                misses = 0;
                yield return new StepMathItem(split, level, index++, problem);
            }
            else if (++misses > 2_000_000)
                throw new QuantReasonException(
                    $"level {level} of the {split.Name()} split is exhausted after {index} distinct problems", "stepmath generate");
        }
    }

    /// <summary>Regenerates the problem a unique id names.</summary>
    public StepMathItem Regenerate(string uniqueId)
    {
        if (!StepMathItem.TryParseId(uniqueId, out var split, out var level, out var index))
            throw new QuantReasonException($"'{uniqueId}' is not a StepMath id (stepmath/<split>/<level>/<index>)", uniqueId);
        return GenerateLevel(split, level).Skip(index).First();
    }

    StepMathProblem? Accept(string text, int level)
    {
        var p = StepMathProblem.Parse(text);
        if (p.Level != level) return null;
        foreach (var n in p.Plan)
        {
            if (Math.Abs(n.Value) > _options.MaxMagnitude) return null;
            // A character-level model multiplies by one digit reliably; two multi-digit factors are long multiplication,
            // which no reasoning chain of the studies needs, and would make arithmetic slips the whole story.
            if (n.Op == StepOp.Mul && Math.Min(Math.Abs(n.Left!.Value), Math.Abs(n.Right!.Value)) > MaxSmallFactor) return null;
        }
        return TokenLength(p) <= _options.MaxTokens ? p : null;
    }

    /// <summary>Prompt characters + solution tokens (the four tags count one each).</summary>
    public static int TokenLength(StepMathProblem p) => p.Text.Length + SolutionFormat.TokenLength(p.Solution);

    static readonly StepOp[] ChainOps = [StepOp.Add, StepOp.Add, StepOp.Sub, StepOp.Sub, StepOp.Mul, StepOp.Mul, StepOp.Add];

    /// <summary>Every product has a factor of at most this (a single digit), including products of earlier results.</summary>
    public const long MaxSmallFactor = 9;

    /// <summary>Largest ordinary operand per level (level 1 needs 1–99 for a test split of over 2,000 distinct problems).</summary>
    static long MaxOperand(int level) => level switch { 1 => 99, 2 => 30, 3 => 60, 4 => 99, _ => 150 };

    static void Arithmetic(ref StepRandom rng, int level, StringBuilder sb)
    {
        Span<StepOp> ops = stackalloc StepOp[level];
        Span<long> operands = stackalloc long[level + 1];
        Span<bool> small = stackalloc bool[level + 1];
        for (int i = 0; i < level; i++)
        {
            ops[i] = ChainOps[rng.Next(0, ChainOps.Length - 1)];
            if (ops[i] == StepOp.Mul) small[rng.Chance(0.5) ? i : i + 1] = true;
        }
        for (int i = 0; i <= level; i++)
            operands[i] = small[i] ? rng.Next(2, MaxSmallFactor) : rng.Next(level <= 2 ? 1 : 2, MaxOperand(level));

        // Parentheses around a sum that a product then uses: the one way a chain's structure differs from precedence.
        int open = -1, close = -1;
        if (level >= 2 && rng.Chance(0.25))
        {
            int i = (int)rng.Next(0, level - 1), j = (int)rng.Next(i + 1, level);
            bool additiveInside = false;
            for (int k = i; k < j; k++) additiveInside |= !ops[k].IsMultiplicative();
            bool usedByProduct = (i > 0 && ops[i - 1] == StepOp.Mul) || (j < level && ops[j] == StepOp.Mul);
            if (additiveInside && usedByProduct && !(i == 0 && j == level)) { open = i; close = j; }
        }
        for (int i = 0; i <= level; i++)
        {
            if (i == open) sb.Append('(');
            sb.Append(operands[i]);
            if (i == close) sb.Append(')');
            if (i < level) sb.Append(ops[i].Symbol());
        }
    }

    /// <remarks>Divisions occur only in rate and box problems, so their quotients range up to 99: with quotients up to
    /// 12–30 the train split held a few hundred distinct divisions, which a small model memorises rather than learning to
    /// divide (the reference model then failed half of the unseen test divisions and nothing else at level 1).</remarks>
    static void Word(ref StepRandom rng, int level, StringBuilder sb)
    {
        switch (level, rng.Next(0, 3))
        {
            case (1, 0): sb.Append(WordProblems.Area((rng.Next(2, 40), rng.Next(2, 9)))); break;
            case (1, 1): sb.Append(WordProblems.Distance((rng.Next(2, 50), rng.Next(2, 9)))); break;
            case (1, 2): { var h = rng.Next(2, 9); sb.Append(WordProblems.Rate(h * rng.Next(2, 99), h)); break; }
            case (1, _): { var k = rng.Next(2, 9); sb.Append(WordProblems.Boxes(k * rng.Next(1, 99), k)); break; }
            case (2, 0): sb.Append(WordProblems.Perimeter((rng.Next(2, 99), rng.Next(2, 60)))); break;
            case (2, 1): { var (p, n) = WholePercent(ref rng); sb.Append(WordProblems.Percent(p, n)); break; }
            case (2, 2): Change(ref rng, 1, 1, sb); break;
            case (2, _):
            {
                var k = rng.Next(2, 9);
                sb.Append(WordProblems.Boxes(k * rng.Next(1, 99) + rng.Next(1, k - 1), k));
                break;
            }
            case (3, 0): Change(ref rng, 2, 1, sb); break;
            case (3, 1): { var (p, n) = WholePercent(ref rng); sb.Append(WordProblems.Discount(p, n)); break; }
            case (3, 2): sb.Append(WordProblems.Area((rng.Next(2, 30), rng.Next(2, 9)), (rng.Next(2, 30), rng.Next(2, 9)))); break;
            case (3, _): sb.Append(WordProblems.Distance((rng.Next(2, 99), rng.Next(2, 9)), (rng.Next(2, 99), rng.Next(2, 9)))); break;
            case (5, < 2): sb.Append(WordProblems.Perimeter((rng.Next(2, 60), rng.Next(2, 40)), (rng.Next(2, 60), rng.Next(2, 40)))); break;
            default:
            {
                // change problems: steps = products + items (items − 1 additions, one subtraction)
                int items = (int)rng.Next(2, 3) + (level - 4);
                Change(ref rng, items, level - items, sb);
                break;
            }
        }
    }

    /// <summary>A single-digit percentage and a base it takes a whole part of (p% of n is an integer).</summary>
    static (long Percent, long Of) WholePercent(ref StepRandom rng)
    {
        var p = rng.Next(1, MaxSmallFactor);
        var step = 100 / Gcd(p, 100); // the smallest base of which p% is whole
        return (p, step * rng.Next(1, Math.Max(1, 400 / step)));
    }

    static void Change(ref StepRandom rng, int items, int products, StringBuilder sb)
    {
        var list = new (long? Quantity, long Price)[items];
        var withQuantity = new bool[items];
        for (int placed = 0; placed < products;)
        {
            int i = (int)rng.Next(0, items - 1);
            if (!withQuantity[i]) { withQuantity[i] = true; placed++; }
        }
        long cost = 0;
        for (int i = 0; i < items; i++)
        {
            long? q = withQuantity[i] ? rng.Next(2, 9) : null;
            var price = rng.Next(2, items == 1 ? 60 : 40);
            list[i] = (q, price);
            cost += (q ?? 1) * price;
        }
        var unit = cost < 100 ? 10 : 50;
        var paid = (cost / unit + 1 + rng.Next(0, 2)) * unit;
        sb.Append(WordProblems.Change(paid, list));
    }

    static long Gcd(long a, long b) { while (b != 0) (a, b) = (b, a % b); return a; }
}
