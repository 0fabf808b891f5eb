using System.Text.Json;
using QuantReason.Jobs;
using QuantReason.Training;

namespace QuantReason.Bench;

/// <summary>
/// GRPO rollout speed on the embedded StepMath model: the generated tokens/s of a step's rollouts (P prompts × G sampled
/// completions in one batched generate, from the policy exported in memory) against a batch-16 greedy decode of the same
/// policy, best of a few repeats each, measured in the same run; ratio = rollout / batch-16 tokens/s. Also the time of one
/// GRPO update. Options: --json, --threads N (2), --steps N (3), --group G (8), --prompts P (8), --bits B (0 = full precision).
/// </summary>
public static class GrpoBench
{
    public static int Run(string[] args)
    {
        int Arg(string name, int def) => int.TryParse(BenchUtil.Arg(args, name, ""), out int v) ? v : def;
        int threads = Arg("--threads", 2), steps = Arg("--steps", 3), group = Arg("--group", 8), prompts = Arg("--prompts", 8), bits = Arg("--bits", 0);
        var model = FindModel();
        var dir = Directory.CreateTempSubdirectory("qr-grpo-bench-").FullName;
        try
        {
            var yaml = Path.Combine(dir, "grpo.yaml");
            var fake = bits > 0 ? $"fake_quant: {{bits: {bits}, group_size: 8}}" : "";
            File.WriteAllText(yaml, $$"""
                base_model: {{model}}
                {{fake}}
                data: {stepmath: {split: train, seed: 0, count: 2000} }
                grpo: {group: {{group}}, prompts_per_step: {{prompts}}, reward: verifier, max_new_tokens: 96}
                optimizer: {lr: 1.0e-4}
                steps: {{steps + 1}}
                threads: {{threads}}
                output_dir: out
                """);
            var run = GrpoRun.Prepare(TrainConfig.Load(yaml));
            using var scope = Kernels.KernelThreads.Use(threads);
            run.Step(); // warm-up: JIT and buffers
            var lines = Enumerable.Range(0, steps).Select(_ => run.Step()).ToList();
            // The rollouts and the reference decode timed alike (best of the repeats, wall and CPU) on the same policy.
            var policy = run.Trainer.ExportPolicy();
            int step = run.Trainer.StepsDone, rolloutTokens = 0, decodeTokens = 0;
            var rollout = BenchUtil.BestWithCpu(steps, () => rolloutTokens = run.Rollout(policy, step).Sum(r => r.Tokens.Length));
            var decode = BenchUtil.BestWithCpu(steps, () => decodeTokens = run.MeasureDecode(policy).Tokens);
            int decode64Tokens = 0;
            var decode64 = BenchUtil.BestWithCpu(steps, () => decode64Tokens = run.MeasureDecode(policy, group * prompts).Tokens);
            var result = new
            {
                benchmark = "grpo_rollout",
                threads,
                bits,
                completions_per_step = group * prompts,
                rollout_tokens = rolloutTokens,
                rollout_tokens_per_s = rolloutTokens / rollout.Wall,
                rollout_tokens_per_cpu_s = rolloutTokens / rollout.Cpu,
                decode16_tokens = decodeTokens,
                decode16_tokens_per_s = decodeTokens / decode.Wall,
                decode16_tokens_per_cpu_s = decodeTokens / decode.Cpu,
                greedy_same_batch_tokens_per_s = decode64Tokens / decode64.Wall,
                ratio = rolloutTokens / rollout.Wall / (decodeTokens / decode.Wall), // batched rollouts over batch-16 decode of the same policy
                cpu_ratio = rolloutTokens / rollout.Cpu / (decodeTokens / decode.Cpu),
                update_seconds = lines.Min(l => l.Seconds - l.RolloutSeconds),
                step_seconds = lines.Min(l => l.Seconds),
                rollout_fraction_of_step = lines.Sum(l => l.RolloutSeconds) / lines.Sum(l => l.Seconds),
            };
            if (BenchUtil.Json(args)) Console.WriteLine(JsonSerializer.Serialize(result));
            else
            {
                Console.WriteLine($"rollouts ({group * prompts} sequences per generate): {result.rollout_tokens_per_s:F0} tokens/s; batch-16 greedy decode: {result.decode16_tokens_per_s:F0} tokens/s; ratio {result.ratio:F2}");
                Console.WriteLine($"step {result.step_seconds:F2} s, of which the update {result.update_seconds:F2} s ({threads} threads, W{(bits > 0 ? bits : 32)})");
            }
            return 0;
        }
        finally { Directory.Delete(dir, true); }
    }

    static string FindModel()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Toolkit.sln"))) return Path.Combine(d.FullName, "data", "models", "stepmath-ref");
        throw new QuantReasonException("repository root (Toolkit.sln) not found above the benchmark binary", AppContext.BaseDirectory);
    }
}
