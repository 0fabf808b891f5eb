using QuantReason.Jobs;
using QuantReason.Training;

namespace QuantReason.Tests.Jobs;

public class GrpoRunTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("qr-grpo-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    static readonly string Embedded = RepoFiles.PathOf("data", "models", "stepmath-ref");

    TrainConfig Config(string output, int steps = 3, string extra = "")
    {
        var path = Path.Combine(_dir, output + ".yaml");
        File.WriteAllText(path, $$$"""
            base_model: {{{Embedded}}}
            fake_quant: {bits: 2, group_size: 8}  # a weak cold start (≈ 12 % greedy): groups disagree, so the policy moves
            data: {stepmath: {split: train, seed: 3, count: 40}}
            grpo: {group: 4, prompts_per_step: 2, reward: verifier, max_new_tokens: 32, beta: 0.04, temperature: 1.0}
            micro_batch_size: 4
            optimizer: {lr: 2.0e-3, weight_decay: 0}
            steps: {{{steps}}}
            seed: 5
            threads: 2
            checkpoint_every: 1
            output_dir: {{{output}}}
            eval: {split: test, seed: 0, problems_per_level: 1, max_new_tokens: 32}
            {{{extra}}}
            """);
        return TrainConfig.Load(path);
    }

    static GrpoLogLine Untimed(GrpoLogLine l) => l with { RolloutSeconds = 0, RolloutTokensPerSecond = 0, Decode16TokensPerSecond = 0, Seconds = 0, CpuSeconds = 0 };

    [Fact]
    public void A_resumed_run_ends_bit_identical_to_an_uninterrupted_one_with_curves_in_the_log()
    {
        var straight = GrpoRun.Prepare(Config("straight"));
        var lines = straight.Train(NullProgress.Instance);
        Assert.Equal([1, 2, 3], lines.Select(l => l.Step));
        // Step 1 samples from the cold start itself: the policy is the reference, so the KL is exactly 0.
        Assert.Equal(0f, lines[0].Kl);
        Assert.All(lines, l =>
        {
            Assert.InRange(l.Accuracy, 0, 1);
            Assert.InRange(l.Format, 0, 1);
            Assert.True(l.CompletionTokens > 0 && l.RolloutTokensPerSecond > 0 && l.Decode16TokensPerSecond > 0);
        });
        Assert.Contains(lines, l => l.RewardStd > 0); // some group had a signal to learn from
        var read = GrpoRun.ReadLog(straight.LogPath);
        Assert.Equal(lines.Select(Untimed), read.Select(Untimed));

        var first = GrpoRun.Prepare(Config("resumed"));
        using (var cts = new CancellationTokenSource())
            first.Train(NullProgress.Instance, _ => cts.Cancel(), cts.Token);
        Assert.Equal(1, first.Trainer.StepsDone);
        var second = GrpoRun.Prepare(Config("resumed"));
        Assert.Equal(1, second.ResumedFrom);
        second.Train(NullProgress.Instance);
        Assert.True(second.Finished);

        foreach (var (p, q) in straight.Trainer.Policy.Parameters.Zip(second.Trainer.Policy.Parameters))
            Assert.True(p.Value.AsSpan().SequenceEqual(q.Value), $"{p.Name} differs after resuming");
        Assert.Equal(read.Select(Untimed), GrpoRun.ReadLog(second.LogPath).Select(Untimed));
        Assert.NotEqual(0f, lines[^1].Kl); // the policy moved away from the cold start

        straight.Export();
        var before = straight.GreedyAccuracy(straight.ColdStart());
        var after = straight.GreedyAccuracy(straight.Trainer.ExportPolicy());
        Assert.Equal(5, before.Total);
        Assert.Equal(5, after.ByLevel.Count);
        straight.WriteSummary(before, after);
        var md = File.ReadAllText(Path.Combine(_dir, "straight", "training.md"));
        Assert.Contains("batch-16 greedy decode", md);
        Assert.Contains("| all | 5 |", md);
    }

    [Fact]
    public void A_checkpoint_of_another_config_is_not_resumed()
    {
        var run = GrpoRun.Prepare(Config("other", steps: 1));
        run.Train(NullProgress.Instance);
        var e = Assert.Throws<QuantReasonException>(() => GrpoRun.Prepare(Config("other", steps: 1, extra: "schedule: {min_lr_ratio: 0.5}")));
        Assert.Contains("different GRPO config", e.Message);
    }
}
