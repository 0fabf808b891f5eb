namespace QuantReason.Bench;

/// <summary>
/// `dotnet run -c Release --project bench/QuantReason.Bench -- VERB [options] [--json]`. Every benchmark prints a ratio to a
/// physical limit measured in the same run; with --json, one JSON object whose `ratio` field is that figure.
/// </summary>
public static class Program
{
    static readonly Dictionary<string, Func<string[], int>> Verbs = new()
    {
        ["decode"] = DecodeBench.Run,
        ["gptq"] = GptqBench.Run,
        ["gemv-q4"] = GemvQ4Bench.Run,
        ["gemm-q"] = GemmQBench.Run,
        ["gptq-model"] = GptqModelBench.Run,
        ["train"] = TrainBench.Run,
        ["dpo"] = DpoBench.Run,
        ["qat"] = QatBench.Run,
        ["judge"] = JudgeBench.Run,
        ["grade"] = GradeBench.Run,
        ["grpo"] = GrpoBench.Run,
    };

    public static int Main(string[] args)
    {
        if (args.Length == 0 || !Verbs.TryGetValue(args[0], out var run))
        {
            Console.Error.WriteLine($"usage: bench <{string.Join("|", Verbs.Keys)}> [options] [--json]");
            return 2;
        }
        return run(args[1..]);
    }
}
