using System.Text.Json;
using QuantReason.Cli;
using QuantReason.Runtime;
using QuantReason.Tensors;
using QuantReason.Tokenizers;
using QuantReason.Training;
using QuantReason.Jobs;

namespace QuantReason.Tests.Cli;

public class TrainCommandTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("qr-train-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    const string Tiny = """
        model: {hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, intermediate_size: 48, max_position_embeddings: 128}
        data: {stepmath: {split: train, seed: 1, count: 300}, max_length: 96}
        optimizer: {lr: 1.0e-2}
        schedule: {warmup_steps: 2}
        batch_size: 8
        micro_batch_size: 4
        steps: 6
        checkpoint_every: 2
        output_dir: out
        eval: {problems_per_level: 2, max_new_tokens: 40}
        """;

    string Config(string yaml = Tiny, string name = "train.yaml")
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = Commands.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public void Train_writes_a_hugging_face_checkpoint_the_runtime_and_tokenizer_loader_read()
    {
        var (code, output, err) = Run("train", "--config", Config());
        Assert.True(code == 0, err + output);
        var outDir = Path.Combine(_dir, "out");
        foreach (var f in new[] { "config.json", "model.safetensors", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
                     "special_tokens_map.json", "train-log.jsonl", "training.md", "eval/predictions.jsonl" })
            Assert.True(File.Exists(Path.Combine(outDir, f)), f);

        using (var cfg = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "config.json"))))
        {
            Assert.Equal("LlamaForCausalLM", cfg.RootElement.GetProperty("architectures")[0].GetString());
            Assert.Equal("float32", cfg.RootElement.GetProperty("torch_dtype").GetString());
        }
        using (var st = SafeTensorsFile.Open(Path.Combine(outDir, "model.safetensors")))
        {
            var names = st.Tensors.Keys.ToHashSet();
            Assert.Contains("model.embed_tokens.weight", names);
            Assert.Contains("model.layers.1.mlp.down_proj.weight", names);
            Assert.Contains("model.norm.weight", names);
            Assert.DoesNotContain("lm_head.weight", names); // tied
        }
        var log = TrainingRun.ReadLog(Path.Combine(outDir, "train-log.jsonl"));
        Assert.Equal([1, 2, 3, 4, 5, 6], log.Select(l => l.Step));
        Assert.All(log, l => Assert.True(l.Loss > 0 && l.TokensPerSecond > 0 && l.LearningRate > 0));
        Assert.Contains("Greedy accuracy", File.ReadAllText(Path.Combine(outDir, "training.md")));
        // the prompt it learned and the data its vocabulary covers become eval's and quantize's defaults for it
        Assert.Equal(new QuantReason.Models.ModelDefaults("step-tags", "stepmath", true), QuantReason.Models.ModelDefaults.Load(outDir));

        var tok = TokenizerLoader.FromDirectory(outDir);
        var model = Model.Load(outDir);
        Assert.Equal(tok.VocabSize, model.Config.VocabSize);
        Assert.Equal(ChatTemplateKind.LastUserTurn, ChatTemplate.For(tok).Kind);
        var ids = tok.Encode("<s>12+5", addSpecialTokens: false);
        var result = new Generator(model.Transformer, t => tok.Decode(t, true)).Generate([ids],
            new GenerationOptions { MaxNewTokens = 8, StopTokenIds = tok.EosIds })[0];
        Assert.NotEmpty(result.Tokens);
        Assert.All(result.Tokens, t => Assert.InRange(t, 0, tok.VocabSize - 1));

        // A rerun over a finished output trains nothing more and leaves the model as it was.
        var before = File.ReadAllBytes(Path.Combine(outDir, "model.safetensors"));
        Assert.Equal(0, Run("train", "--config", Path.Combine(_dir, "train.yaml"), "--no-eval").Code);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(outDir, "model.safetensors")));
        Assert.Equal(6, TrainingRun.ReadLog(Path.Combine(outDir, "train-log.jsonl")).Count);
    }

    [Fact]
    public void An_interrupted_run_resumes_from_its_checkpoint_and_ends_bit_identical()
    {
        var straight = TrainingRun.Prepare(TrainConfig.Load(Config(), Path.Combine(_dir, "a")));
        straight.Train(NullProgress.Instance);
        straight.Export();

        var cfg = TrainConfig.Load(Config(), Path.Combine(_dir, "b"));
        using var cts = new CancellationTokenSource();
        var first = TrainingRun.Prepare(cfg);
        first.Train(NullProgress.Instance, s => { if (s.Step == 3) cts.Cancel(); }, cts.Token);
        Assert.Equal(3, first.Trainer.StepsDone);
        Assert.False(first.Finished);
        // A process killed after step 4 left a log line past the checkpoint; the resume drops it.
        File.AppendAllText(first.LogPath, File.ReadLines(straight.LogPath).ElementAt(3) + "\n");

        var second = TrainingRun.Prepare(cfg);
        Assert.Equal(3, second.ResumedFrom);
        second.Train(NullProgress.Instance);
        second.Export();
        Assert.Equal(File.ReadAllBytes(Path.Combine(_dir, "a", "model.safetensors")), File.ReadAllBytes(Path.Combine(_dir, "b", "model.safetensors")));
        Assert.Equal(TrainingRun.ReadLog(straight.LogPath).Select(l => l.Loss), TrainingRun.ReadLog(second.LogPath).Select(l => l.Loss));

        // A checkpoint from another config is refused rather than silently mixed in.
        var changed = TrainConfig.Load(Config(Tiny.Replace("lr: 1.0e-2", "lr: 2.0e-2"), "changed.yaml"), Path.Combine(_dir, "b"));
        var c = TrainingRun.Prepare(TrainConfig.Load(Config(), Path.Combine(_dir, "c")));
        c.Train(NullProgress.Instance, s => { if (s.Step == 2) cts.Cancel(); }, cts.Token);
        Assert.Contains("different training config",
            Assert.Throws<QuantReasonException>(() => TrainingRun.Prepare(changed with { OutputDir = Path.Combine(_dir, "c") })).Message);
    }

    [Fact]
    public void A_checkpoint_whose_tensors_do_not_match_its_config_is_one_clear_error()
    {
        var run = TrainingRun.Prepare(TrainConfig.Load(Config(), Path.Combine(_dir, "m")));
        run.Train(NullProgress.Instance);
        run.Export();
        var path = Path.Combine(_dir, "m", "config.json");
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"intermediate_size\": 48", "\"intermediate_size\": 40"));
        var e = Assert.Throws<QuantReasonException>(() => Model.Load(Path.Combine(_dir, "m")));
        Assert.Contains("mlp", e.Message + e.Where);
        var t = Assert.Throws<QuantReasonException>(() => TrainableModel.Load(Path.Combine(_dir, "m")));
        Assert.Contains("mlp", t.Message + t.Where);
        var (code, _, err) = Run("generate", "--model", Path.Combine(_dir, "m"), "--prompt", "1+2");
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", err);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Fact]
    public void A_bad_config_is_one_error_line()
    {
        var (code, _, err) = Run("train", "--config", Config(Tiny + "\nbatchsize: 3"));
        Assert.Equal(1, code);
        Assert.Contains("unknown key 'batchsize'", err);
        Assert.Single(err.Trim().Split('\n'));
    }

    static string EmbeddedModel => RepoFiles.PathOf("data", "models", "stepmath-ref");

    [Fact]
    public void Rl_without_a_reward_source_is_one_error_line()
    {
        var (code, _, err) = Run("train", "--config", Config($"base_model: {EmbeddedModel}\ndata: {{stepmath: {{count: 10}}}}\nsteps: 1\noutput_dir: out\ngrpo: {{group: 4}}\n", "grpo.yaml"));
        Assert.Equal(1, code);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Contains("RL needs a reward source", err);
        Assert.False(Directory.Exists(Path.Combine(_dir, "out")));
    }

    [Fact]
    public void Grpo_writes_the_policy_the_curves_and_the_summary()
    {
        var (code, output, err) = Run("train", "--config", Config($$"""
            base_model: {{EmbeddedModel}}
            fake_quant: {bits: 2, group_size: 8}
            data: {stepmath: {count: 20} }
            grpo: {group: 2, prompts_per_step: 2, reward: grader, max_new_tokens: 24}
            steps: 2
            output_dir: out
            eval: {problems_per_level: 1, max_new_tokens: 24}
            """, "grpo.yaml"));
        Assert.True(code == 0, err);
        Assert.Contains("batch-16 greedy decode of the policy", output);
        var o = Path.Combine(_dir, "out");
        Assert.Equal([1, 2], GrpoRun.ReadLog(Path.Combine(o, "train-log.jsonl")).Select(l => l.Step));
        Assert.Contains("| all | 5 |", File.ReadAllText(Path.Combine(o, "training.md")));
        Assert.Equal(Model.Load(o).Config.VocabSize, TrainableModel.Load(EmbeddedModel).Config.VocabSize);
    }
}
