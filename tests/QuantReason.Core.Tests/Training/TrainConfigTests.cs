using QuantReason.Training;

namespace QuantReason.Tests.Training;

public class TrainConfigTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("qr-traincfg-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    const string Valid = """
        model: {hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 48}
        data: {stepmath: {split: train, seed: 1, count: 100}, max_length: 96}
        optimizer: {lr: 1.0e-2}
        schedule: {warmup_steps: 2}
        batch_size: 8
        micro_batch_size: 4
        steps: 5
        output_dir: out
        """;

    string Write(string yaml)
    {
        var path = Path.Combine(_dir, "train.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    [Fact]
    public void A_valid_config_maps_onto_the_trainer_options_with_paths_beside_the_file()
    {
        var c = TrainConfig.Load(Write(Valid));
        Assert.Equal((32, 2, 4, 4, 48), (c.Model!.HiddenSize, c.Model.Layers, c.Model.Heads, c.Model.KvHeads, c.Model.IntermediateSize));
        Assert.Equal((5, 8, 4, 1e-2f, 2), (c.Trainer.Steps, c.Trainer.BatchSize, c.Trainer.MicroBatchSize, c.Trainer.LearningRate, c.Trainer.WarmupSteps));
        Assert.Equal(Path.Combine(_dir, "out"), c.OutputDir);
        Assert.Equal("step-tags", c.Data.Prompt);
        Assert.Equal(Path.Combine(_dir, "elsewhere"), TrainConfig.Load(Write(Valid), Path.Combine(_dir, "elsewhere")).OutputDir);
    }

    [Fact]
    public void The_reference_model_config_in_the_repository_is_valid()
    {
        var c = TrainConfig.Load(RepoFiles.PathOf("data", "models", "stepmath-ref", "train.yaml"));
        Assert.Equal((128, 4, 4, 320, true), (c.Model!.HiddenSize, c.Model.Layers, c.Model.Heads, c.Model.IntermediateSize, c.Model.TieWordEmbeddings));
        Assert.NotNull(c.TargetTokens);
        Assert.NotNull(c.Eval);
        Assert.True(c.Eval!.ProblemsPerLevel >= 300);
    }

    [Theory]
    [InlineData("learning_rate: 3\n", "unknown key 'learning_rate'", "(top level)")]
    [InlineData("model: {hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 48, hiden: 3}\n", "unknown key 'hiden'", "section model")]
    public void An_unknown_key_is_one_error_naming_key_and_file(string extra, string message, string section)
    {
        var yaml = extra.StartsWith("model:") ? extra + string.Join('\n', Valid.Split('\n').Skip(1)) : Valid + "\n" + extra;
        var path = Write(yaml);
        var e = Assert.Throws<QuantReasonException>(() => TrainConfig.Load(path));
        Assert.Contains(message, e.Message);
        Assert.Contains(section, e.Message);
        Assert.StartsWith(path + ":", e.Where);
    }

    [Theory]
    [InlineData("hidden_size: 32", "hidden_size: 30", "not divisible by model.num_attention_heads")]
    [InlineData("num_attention_heads: 4", "num_attention_heads: 4, num_key_value_heads: 3", "not a multiple of model.num_key_value_heads")]
    [InlineData("micro_batch_size: 4", "micro_batch_size: 3", "multiple of the micro-batch size")]
    [InlineData("steps: 5", "steps: 5\ntarget_tokens: 1000", "either 'steps' or 'target_tokens'")]
    [InlineData("max_length: 96", "max_length: 200", "exceeds model.max_position_embeddings")]
    [InlineData("warmup_steps: 2", "warmup_steps: 9", "exceeds steps")]
    public void Impossible_settings_are_one_clear_error(string from, string to, string message)
    {
        var path = Write(Valid.Replace(from, to));
        var e = Assert.Throws<QuantReasonException>(() => TrainConfig.Load(path));
        Assert.Contains(message, e.Message);
        Assert.StartsWith(path, e.Where);
    }

    [Fact]
    public void New_tokens_and_modules_to_save_are_read_and_checked()
    {
        var fresh = Valid;
        Assert.Contains("new_tokens extends a pretrained tokenizer", Assert.Throws<QuantReasonException>(() =>
            TrainConfig.Load(Write(fresh + "\nnew_tokens: [\"<step>\"]"))).Message);
        var onBase = fresh.Replace("model: {hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 48}", "base_model: base")
            .Replace("max_length: 96", "max_length: 64");
        var c = TrainConfig.Load(Write(onBase + "\nnew_tokens: [\"<step>\", \"</answer>\"]\nlora: {rank: 4, modules_to_save: [embed_tokens, lm_head]}"));
        Assert.Equal(["<step>", "</answer>"], c.NewTokens);
        Assert.Equal(["embed_tokens", "lm_head"], c.Lora!.ModulesToSave!);
        Assert.Contains("only embed_tokens and lm_head", Assert.Throws<QuantReasonException>(() =>
            TrainConfig.Load(Write(onBase + "\nlora: {rank: 4, modules_to_save: [norm]}"))).Message);
        Assert.Contains("distinct non-empty", Assert.Throws<QuantReasonException>(() =>
            TrainConfig.Load(Write(onBase + "\nnew_tokens: [\"<step>\", \"<step>\"]"))).Message);
    }

    [Fact]
    public void Qat_init_and_distillation_map_onto_the_config_and_misuse_is_one_clear_error()
    {
        var c = TrainConfig.Load(Write(Valid + "\ndistill: {teacher: ../t, alpha: 0.5, temperature: 2}"));
        Assert.Equal(new DistillOptions(0.5f, 2f), c.Trainer.Distill);
        Assert.Equal(Path.GetFullPath(Path.Combine(_dir, "../t")), c.Distill!.Teacher);
        string Error(string yaml) => Assert.Throws<QuantReasonException>(() => TrainConfig.Load(Write(yaml))).Message;
        Assert.Contains("missing distill.teacher", Error(Valid + "\ndistill: {alpha: 0.5}"));
        Assert.Contains("alpha must be in [0, 1]", Error(Valid + "\ndistill: {teacher: t, alpha: 2}"));
        Assert.Contains("'model' (a fresh model) or 'init'", Error(Valid + "\ninit: q"));
        Assert.Contains("learn_scales trains the scales", Error(Valid + "\nlearn_scales: true"));
    }

    [Fact]
    public void Optional_sections_need_what_they_build_on()
    {
        Assert.Contains("lora needs 'base_model'", Assert.Throws<QuantReasonException>(() => TrainConfig.Load(Write(Valid + "\nlora: {rank: 4}"))).Message);
        Assert.Contains("qlora needs a lora section", Assert.Throws<QuantReasonException>(() => TrainConfig.Load(Write(Valid + "\nqlora: {group_size: 16}"))).Message);
        var fq = TrainConfig.Load(Write(Valid + "\nfake_quant: {bits: 4, group_size: 16}"));
        Assert.Equal(new FakeQuantOptions(4, 16), fq.Trainer.FakeQuant);
        Assert.Contains("2–8 bits", Assert.Throws<QuantReasonException>(() => TrainConfig.Load(Write(Valid + "\nfake_quant: {bits: 12}"))).Message);
    }

    [Fact]
    public void Activation_and_kv_cache_sections_map_onto_the_trainer_and_bad_ones_name_the_key()
    {
        var c = TrainConfig.Load(Write(Valid + "\nactivations: {bits: 4}\nkv_cache: {bits: 8, group_size: 16}"));
        Assert.Equal(new QuantReason.Weights.ActivationScheme(4), c.Trainer.Activations);
        Assert.Equal(new QuantReason.Weights.ActivationScheme(8, 16), c.Trainer.KvCache);
        var e = Assert.Throws<QuantReasonException>(() => TrainConfig.Load(Write(Valid + "\nactivations: {bits: 3}")));
        Assert.Contains("activations: activation quantization runs 4 or 8 bits, got 3", e.Message);
        Assert.Contains("missing kv_cache.bits", Assert.Throws<QuantReasonException>(() => TrainConfig.Load(Write(Valid + "\nkv_cache: {group_size: 16}"))).Message);
    }
}
