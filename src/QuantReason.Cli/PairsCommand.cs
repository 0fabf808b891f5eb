using System.CommandLine;
using QuantReason.Jobs;

namespace QuantReason.Cli;

/// <summary>
/// <c>quantreason pairs --fp RUN --quantized RUN... --out DIR [--evaluated DATASET] [--n 545] [--seed 0] [--subset all]</c>:
/// DPO preference pairs (FP right = chosen, quantized wrong = rejected) from runs over a training split, written as
/// DIR/pairs.jsonl (TRL's prompt/chosen/rejected plus provenance) and DIR/pairs-summary.json (kept, dropped and why).
/// </summary>
public static class PairsCommand
{
    public static Command Create()
    {
        var fp = new Option<string>("--fp") { Description = "the full-precision run directory (chosen answers)", Required = true };
        var quantized = new Option<string[]>("--quantized") { Description = "quantized run directories (rejected answers), over the same dataset", Required = true, AllowMultipleArgumentsPerToken = true };
        var output = new Option<string>("--out") { Description = "folder for pairs.jsonl and pairs-summary.json", Required = true };
        var evaluated = new Option<string?>("--evaluated") { Description = "the dataset the restored model will be evaluated on: runs over it (or sharing a problem with it) are refused" };
        var n = new Option<int>("--n") { Description = "at most this many pairs, drawn across runs in proportion to their error rates", DefaultValueFactory = _ => 545 };
        var seed = new Option<int>("--seed") { Description = "seed of the draw", DefaultValueFactory = _ => 0 };
        var subset = new Option<string>("--subset") { Description = "all, a category (conceptual, method, execution, reasoning) or an error type id", DefaultValueFactory = _ => PairOptions.All };
        var cmd = new Command("pairs", "Build DPO preference pairs from a full-precision run and quantized runs on a training split.")
            { fp, quantized, output, evaluated, n, seed, subset };
        cmd.SetAction(parse => Cli.Guard(parse, () =>
        {
            var s = PairBuilder.Build(parse.GetValue(fp)!, parse.GetValue(quantized)!, parse.GetValue(evaluated),
                new PairOptions(parse.GetValue(n), parse.GetValue(seed), parse.GetValue(subset)!), parse.GetValue(output)!);
            foreach (var src in s.Sources)
                Cli.Out.WriteLine($"{src.Run}: error rate {100 * src.ErrorRate:F1}%, {src.Candidates} candidates, quota {src.Quota}, kept {src.Kept}");
            Cli.Out.WriteLine($"{s.Kept} pairs ({string.Join(", ", s.KeptByCategory.Select(kv => $"{kv.Key} {kv.Value}"))}); dropped: " +
                              (s.Dropped.Count == 0 ? "none" : string.Join(", ", s.Dropped.Select(kv => $"{kv.Value} {kv.Key}"))));
            Cli.Out.WriteLine($"written to {Path.Combine(parse.GetValue(output)!, PairBuilder.PairsFile)} (sha256 {s.PairsSha256[..12]}…)");
            return 0;
        }));
        return cmd;
    }
}
