using QuantReason.Training;

namespace QuantReason.Tests.Training;

public class GrpoOptionsTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("qr-grpocfg-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    const string Head = """
        base_model: base
        data: {stepmath: {split: train, seed: 1, count: 100}}
        steps: 5
        output_dir: out

        """;

    string Write(string yaml)
    {
        var path = Path.Combine(_dir, "grpo.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    [Fact]
    public void A_grpo_section_maps_onto_the_options_and_sizes_the_batch()
    {
        var c = TrainConfig.Load(Write(Head + """
            grpo: {group: 4, prompts_per_step: 3, temperature: 0.8, top_p: 0.95, epsilon: 0.3, beta: 0.02, reward: grader, format_weight: 0.5, max_new_tokens: 40, iterations: 2, loss_type: dr_grpo, scale_rewards: false}
            micro_batch_size: 6
            fake_quant: {bits: 2}
            """));
        var g = c.Grpo!;
        Assert.Equal((4, 3, 0.8f, 0.95f, 0.3f, 0.02f), (g.Group, g.PromptsPerStep, g.Temperature, g.TopP, g.Epsilon, g.Beta));
        Assert.Equal((GrpoRewardSource.Grader, 0.5f, 40, 2, GrpoLossType.DrGrpo, false), (g.Reward, g.FormatWeight, g.MaxNewTokens, g.Iterations, g.LossType, g.ScaleRewards));
        Assert.Equal((12, 6, 2), (c.Trainer.BatchSize, c.Trainer.MicroBatchSize, c.Trainer.FakeQuant!.Bits));
        Assert.Equal(Path.Combine(_dir, "base"), c.BaseModel);
    }

    [Fact]
    public void The_example_config_in_the_repository_is_valid()
    {
        var c = TrainConfig.Load(RepoFiles.PathOf("data", "models", "stepmath-ref", "grpo-w2.yaml"));
        Assert.Equal(GrpoRewardSource.Verifier, c.Grpo!.Reward);
        Assert.True(Directory.Exists(c.BaseModel), c.BaseModel);
        Assert.NotNull(c.Trainer.FakeQuant);
    }

    [Theory]
    [InlineData("grpo: {group: 4}", "RL needs a reward source")]
    [InlineData("grpo: {group: 4, reward: }", "RL needs a reward source")]
    [InlineData("grpo: {reward: judge}", "'judge' is not a reward source")]
    [InlineData("grpo: {reward: verifier, group: 1}", "grpo.group must be at least 2")]
    [InlineData("grpo: {reward: verifier, loss_type: ppo}", "grpo.loss_type 'ppo'")]
    [InlineData("grpo: {reward: verifier, temperature: 0}", "grpo.temperature must be positive")]
    [InlineData("grpo: {reward: verifier, group: 4, prompts_per_step: 2}\nmicro_batch_size: 3", "micro_batch_size 3 must divide the 8 completions")]
    [InlineData("grpo: {reward: verifier}\nbatch_size: 8", "leave out batch_size")]
    [InlineData("grpo: {reward: verifier, rewrd: x}", "unknown key 'rewrd' in section grpo")]
    public void A_bad_grpo_section_is_one_error_naming_the_file(string section, string message)
    {
        var path = Write(Head + section);
        var e = Assert.Throws<QuantReasonException>(() => TrainConfig.Load(path));
        Assert.Contains(message, e.Message);
        Assert.StartsWith(path, e.Where);
    }

    [Fact]
    public void Grpo_needs_the_cold_start_checkpoint()
    {
        var path = Write("""
            model: {hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 48}
            data: {stepmath: {split: train, seed: 1, count: 100}}
            steps: 5
            output_dir: out
            grpo: {reward: verifier}
            """);
        Assert.Contains("grpo needs 'base_model'", Assert.Throws<QuantReasonException>(() => TrainConfig.Load(path)).Message);
    }

    [Fact]
    public void Options_built_in_code_without_a_reward_are_refused_by_the_trainer()
    {
        var cfg = TinyConfigs.Of(QuantReason.Models.ArchitectureKind.Llama);
        var e = Assert.Throws<QuantReasonException>(() =>
            new GrpoTrainer(TinyConfigs.RandomModel(cfg, 1), null, new TrainerOptions { BatchSize = 16, MicroBatchSize = 16 }, new GrpoOptions { Beta = 0 }));
        Assert.Contains("RL needs a reward source", e.Message);
    }
}
