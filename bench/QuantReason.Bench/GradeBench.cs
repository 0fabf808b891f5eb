using System.Diagnostics;
using System.Text.Json;
using QuantReason.Evaluation;
using QuantReason.Data.Datasets;

namespace QuantReason.Bench;

/// <summary>
/// Answer grading speed (verb "grade"): every MATH-500 gold answer against itself and against perturbed variants of it
/// (delimited, boxed, in a sentence, re-spaced, \dfrac, and a near miss with its last digit changed), each pair through
/// <see cref="AnswerGrading.Grade"/> with extraction on both sides. Per pair the best of <c>--repeats</c> timings is
/// kept; the limits are a median ≤ 1 ms and no pair over 1 s. <c>ratio</c> = graded pairs/s over the pairs/s of a plain
/// ordinal string comparison of the same pairs in the same run (the floor any grader pays nothing for).
/// <c>--file</c> names the MATH-500 test.jsonl (default: ../shared/data/math500/test.jsonl or $QUANTREASON_SHARED);
/// <c>--misses</c> lists on stderr the variants graded wrong (a rewriting rejected, a near miss accepted).
/// </summary>
public static class GradeBench
{
    public static int Run(string[] args)
    {
        var shared = Environment.GetEnvironmentVariable("QUANTREASON_SHARED") is { Length: > 0 } env ? env : Path.Combine("..", "shared");
        var file = BenchUtil.Arg(args, "--file", Path.Combine(shared, "data", "math500", "test.jsonl"));
        var repeats = int.Parse(BenchUtil.Arg(args, "--repeats", "3"));
        var golds = DatasetLoader.Load(file, strict: true).Problems.Select(p => p.Gold).ToList();
        var pairs = golds.SelectMany(g => Variants(g).Select(v => (Gold: g, Prediction: v))).ToList();

        var seconds = new double[pairs.Count];
        Array.Fill(seconds, double.MaxValue);
        var equivalent = 0;
        for (var r = 0; r <= repeats; r++) // round 0 warms up (JIT, regex construction) and is not timed
        {
            equivalent = 0;
            for (var i = 0; i < pairs.Count; i++)
            {
                var sw = Stopwatch.StartNew();
                var g = AnswerGrading.Grade(pairs[i].Gold, pairs[i].Prediction);
                var t = sw.Elapsed.TotalSeconds;
                if (g.Correct) equivalent++;
                if (r > 0) seconds[i] = Math.Min(seconds[i], t);
            }
        }
        if (args.Contains("--misses"))
            for (var i = 0; i < pairs.Count; i++)
            {
                var nearMiss = i % VariantCount == VariantCount - 1;
                if (AnswerGrading.Grade(pairs[i].Gold, pairs[i].Prediction).Correct == nearMiss)
                    Console.Error.WriteLine($"{(nearMiss ? "near miss accepted" : "variant rejected")}: {pairs[i].Gold} | {pairs[i].Prediction}");
            }
        var total = seconds.Sum();
        var sorted = seconds.Order().ToArray();
        var median = sorted[sorted.Length / 2];
        var worst = sorted[^1];
        var worstPair = pairs[Array.IndexOf(seconds, worst)];

        // The baseline: ordinal comparison of the trimmed strings, repeated until it runs long enough to time.
        var same = 0;
        var stringSeconds = BenchUtil.Best(repeats, () =>
        {
            same = 0;
            for (var k = 0; k < 200; k++)
                foreach (var (gold, prediction) in pairs)
                    if (string.Equals(gold.Trim(), prediction.Trim(), StringComparison.Ordinal)) same++;
        }) / 200;

        var o = new
        {
            bench = "grade",
            pairs = pairs.Count,
            equivalent,
            self_pairs = golds.Count,
            median_ms = median * 1e3,
            p99_ms = sorted[(int)(0.99 * (sorted.Length - 1))] * 1e3,
            max_ms = worst * 1e3,
            max_pair = $"{worstPair.Gold} | {worstPair.Prediction}",
            pairs_per_second = pairs.Count / total,
            string_pairs_per_second = pairs.Count / stringSeconds,
            string_equal = same / 200,
            median_within_1ms = median <= 1e-3,
            max_within_1s = worst <= 1.0,
            ratio = (pairs.Count / total) / (pairs.Count / stringSeconds),
        };
        if (BenchUtil.Json(args)) Console.WriteLine(JsonSerializer.Serialize(o));
        else Console.WriteLine($"grade: {o.pairs} pairs ({o.equivalent} equivalent), median {o.median_ms:F3} ms, p99 {o.p99_ms:F3} ms, " +
                               $"max {o.max_ms:F1} ms ({o.max_pair}), {o.pairs_per_second:F0} pairs/s vs string compare " +
                               $"{o.string_pairs_per_second:F0} pairs/s (ratio {o.ratio:E2})");
        return o.median_within_1ms && o.max_within_1s ? 0 : 1;
    }

    const int VariantCount = 7;

    /// <summary>The gold itself and six rewritings of it: five that keep its value and, last, one near miss.</summary>
    static IEnumerable<string> Variants(string gold)
    {
        yield return gold;
        yield return $"${gold}$";
        yield return $@"\boxed{{{gold}}}";
        yield return $"Putting it together, the answer is ${gold}$.";
        yield return gold.Replace(" ", "").Replace(",", ", ");
        yield return gold.Replace(@"\frac", @"\dfrac");
        yield return NearMiss(gold);
    }

    /// <summary>The last digit changed (or "1" appended when there is none): usually a different value, same notation.</summary>
    static string NearMiss(string gold)
    {
        var i = gold.LastIndexOfAny("0123456789".ToCharArray());
        return i < 0 ? gold + "+1" : gold[..i] + (char)('0' + (gold[i] - '0' + 1) % 10) + gold[(i + 1)..];
    }
}
