using System.Text.Json.Nodes;
using QuantReason.Models;
using QuantReason.Runtime;
using QuantReason.Tensors;
using QuantReason.Tests.Training;
using QuantReason.Training;
using QuantReason.Weights;
using RuntimeModel = QuantReason.Runtime.Model;

namespace QuantReason.Tests.Models;

/// <summary>Adapters in PEFT's layout, applied unmerged by the runtime on top of the shared tiny checkpoints.</summary>
public sealed class PeftAdapterTests : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("qr-peft-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_root, true); } catch (IOException) { }
    }

    /// <summary>The shared f32 checkpoints (merging into a bf16 one rounds the merged weight, so they are not comparable at 1e-5).</summary>
    public static TheoryData<string> F32Models()
    {
        var data = new TheoryData<string>();
        foreach (string m in Shared.Folders("fixtures", "models"))
            if (ModelConfig.Load(Shared.PathOf("fixtures", "models", m)).TorchDType != DType.BF16) data.Add(m);
        return data;
    }

    static string ModelDir(string model) => Shared.PathOf("fixtures", "models", model);

    /// <summary>LoRA on every projection with random A and B (B ≠ 0, so the adapter changes the output).</summary>
    static TrainableModel Adapted(string dir, int rank = 4, int seed = 5)
    {
        var m = TrainableModel.Load(dir);
        m.AddLora(new LoraOptions(rank, 2f * rank, ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"], Seed: seed));
        var rng = new Random(seed + 1);
        foreach (var l in m.Linears)
            for (int i = 0; i < l.Lora!.B.Value.Length; i++) l.Lora.B.Value[i] = (float)(rng.NextDouble() - 0.5) * 0.2f;
        return m;
    }

    static int[] ReferenceIds(string model)
    {
        using var f = SafeTensorsFile.Open(Path.Combine(ModelDir(model), "reference.safetensors"));
        return f.ReadI64("input_ids").Select(x => (int)x).ToArray();
    }

    static float[] Logits(RuntimeModel m, int[] ids)
    {
        m.Transformer.Precision = ActivationPrecision.F32;
        return m.Transformer.Forward([new SequenceChunk(m.Transformer.NewCache(), ids)], LogitsMode.All);
    }

    [SharedTheory]
    [MemberData(nameof(F32Models))]
    public void Adapter_is_written_with_peft_tensor_names_and_config_keys(string model)
    {
        var m = Adapted(ModelDir(model));
        var dir = Path.Combine(_root, "adapter");
        m.SaveAdapters(dir, ModelDir(model));

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "adapter_config.json")))!.AsObject();
        foreach (var key in new[] { "peft_type", "task_type", "r", "lora_alpha", "target_modules", "base_model_name_or_path", "bias",
                     "fan_in_fan_out", "lora_dropout", "inference_mode", "modules_to_save", "use_rslora", "use_dora" })
            Assert.True(config.ContainsKey(key), $"adapter_config.json lacks '{key}'");
        Assert.Equal("LORA", (string?)config["peft_type"]);
        Assert.Equal("CAUSAL_LM", (string?)config["task_type"]);
        Assert.Equal(4, (int)config["r"]!);
        Assert.Equal(8.0, (double)config["lora_alpha"]!);
        Assert.Equal("none", (string?)config["bias"]);
        Assert.False((bool)config["fan_in_fan_out"]!);
        Assert.Equal(7, config["target_modules"]!.AsArray().Count);

        using var f = SafeTensorsFile.Open(Path.Combine(dir, "adapter_model.safetensors"));
        var cfg = m.Config;
        var expected = Enumerable.Range(0, cfg.NumLayers).SelectMany(i => WeightNames.Linears.SelectMany(p => new[]
        {
            $"base_model.model.model.layers.{i}.{p}.lora_A.weight", $"base_model.model.model.layers.{i}.{p}.lora_B.weight",
        })).Order(StringComparer.Ordinal);
        Assert.Equal(expected, f.Tensors.Keys.Order(StringComparer.Ordinal));
        var q = f.Info("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight");
        Assert.Equal([4L, cfg.HiddenSize], q.Shape);
        Assert.Equal([(long)cfg.QDim, 4L], f.Info("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight").Shape);
        Assert.Equal(DType.F32, q.DType);

        // and reads back to the same values
        var back = PeftAdapter.Load(dir);
        var l0 = m.Linears[0];
        Assert.Equal(l0.Lora!.A.Value, back.Lora[l0.Module].A);
        Assert.Equal(l0.Lora.B.Value, back.Lora[l0.Module].B);
        Assert.Equal(2f, back.Scale);
    }

    [SharedTheory]
    [MemberData(nameof(F32Models))]
    public void Unmerged_adapter_inference_equals_merged_inference(string model)
    {
        var m = Adapted(ModelDir(model));
        var dir = Path.Combine(_root, "adapter");
        m.SaveAdapters(dir);
        var ids = ReferenceIds(model);

        var unmergedModel = RuntimeModel.Load(ModelDir(model), dir);
        Assert.All(unmergedModel.Weights.Layers, l => Assert.IsType<LoraLinear>(l.Q));
        var unmerged = Logits(unmergedModel, ids);

        // merged by the trainer (W + s·B·A folded into f32), run by the runtime as plain dense weights
        m.MergeLora();
        var merged = RuntimeModel.Load(ModelDir(model));
        var wiring = merged.Config.Architecture.Wiring;
        foreach (var l in m.Linears)
        {
            int layer = int.Parse(l.Module.Split('.')[2]);
            var spec = wiring.Projections.Single(p => l.Module.EndsWith(p.Name, StringComparison.Ordinal));
            merged.Weights.Layers[layer][spec.Id] = DenseLinear.FromF32(l.Weight.Value, l.Out, l.In);
        }
        var mergedLogits = Logits(merged, ids);
        TrainingFixture.AssertClose(mergedLogits, unmerged, 1e-5, $"{model} unmerged vs merged logits");
        var baseLogits = Logits(RuntimeModel.Load(ModelDir(model)), ids);
        Assert.True(baseLogits.Zip(unmerged).Max(p => Math.Abs(p.First - p.Second)) > 1e-3, "the adapter must change the logits for the comparison to mean anything");
    }

    [SharedTheory]
    [MemberData(nameof(F32Models))]
    public void New_token_rows_grow_the_vocabulary_and_keep_old_rows_bit_identical(string model)
    {
        var baseModel = RuntimeModel.Load(ModelDir(model));
        var oldEmbed = baseModel.Weights.Embedding.ToF32();
        var oldHead = baseModel.Weights.LmHead.ToF32();
        int v = baseModel.Config.VocabSize, h = baseModel.Config.HiddenSize;

        var m = TrainableModel.Load(ModelDir(model));
        m.GrowVocabulary(v + 3, seed: 1);
        Assert.Equal(oldEmbed, m.Embed.Value.AsSpan(0, v * h).ToArray());
        m.AddLora(new LoraOptions(2, 4f, ["q_proj"], Seed: 2));
        m.TrainTokenRows([v, v + 1, v + 2]);
        // one optimizer step on a batch that uses the new tokens: only their rows (and the adapters) may move
        var ids = ReferenceIds(model)[..12].Concat(new[] { v, v + 1, v + 2, v }).ToArray();
        var batch = new TokenBatch(ids, Enumerable.Repeat(1, ids.Length).ToArray(), 1, ids.Length);
        var trainer = new Trainer(m, new TrainerOptions { Steps = 1, BatchSize = 1, MicroBatchSize = 1, WarmupSteps = 0, LearningRate = 1e-2f });
        var before = (float[])m.TokenEmbedRows!.Value.Clone();
        m.ZeroGrad();
        CausalLmLoss.ForwardBackward(m, batch);
        trainer.Optimizer.Update(1e-2f);
        Assert.NotEqual(before, m.TokenEmbedRows.Value);
        m.Forward(ids, 1, ids.Length);
        Assert.Equal(oldEmbed, m.Embed.Value.AsSpan(0, v * h).ToArray());
        if (m.LmHead is not null) Assert.Equal(oldHead, m.LmHead.Value.AsSpan(0, v * h).ToArray());

        var dir = Path.Combine(_root, "tokens");
        m.SaveAdapters(dir);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "adapter_config.json")))!;
        Assert.Equal([v, v + 1, v + 2], config["trainable_token_indices"]!["embed_tokens"]!.AsArray().Select(n => (int)n!));
        using (var f = SafeTensorsFile.Open(Path.Combine(dir, "adapter_model.safetensors")))
            Assert.Equal([3L, h], f.Info("base_model.model.model.embed_tokens.token_adapter.trainable_tokens_delta").Shape);

        var applied = RuntimeModel.Load(ModelDir(model), dir);
        Assert.Equal(v + 3, applied.Config.VocabSize);
        var newEmbed = applied.Weights.Embedding.ToF32();
        Assert.Equal(oldEmbed, newEmbed.AsSpan(0, v * h).ToArray());
        Assert.Equal(m.TokenEmbedRows.Value, newEmbed.AsSpan(v * h).ToArray());
        Assert.Equal(oldHead, applied.Weights.LmHead.ToF32().AsSpan(0, v * h).ToArray());
        // the runtime with the adapter computes what the trainer computes
        var trained = (float[])m.Forward(ids, 1, ids.Length).Clone();
        TrainingFixture.AssertClose(trained, Logits(applied, ids), 1e-4, "runtime vs trainer logits with new tokens");
    }

    [SharedTheory]
    [MemberData(nameof(F32Models))]
    public void Whole_vocabulary_matrices_are_saved_as_modules_to_save_and_applied(string model)
    {
        var m = Adapted(ModelDir(model), rank: 2);
        m.TrainVocabularyMatrices();
        Assert.True(m.Embed.Trainable);
        var rng = new Random(9);
        for (int i = 0; i < m.Embed.Value.Length; i++) m.Embed.Value[i] += (float)(rng.NextDouble() - 0.5) * 0.01f;
        var dir = Path.Combine(_root, "mts");
        m.SaveAdapters(dir);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "adapter_config.json")))!;
        var expected = m.LmHead is null ? new[] { "embed_tokens" } : ["embed_tokens", "lm_head"];
        Assert.Equal(expected, config["modules_to_save"]!.AsArray().Select(n => (string)n!));
        using (var f = SafeTensorsFile.Open(Path.Combine(dir, "adapter_model.safetensors")))
            Assert.Equal([(long)m.Config.VocabSize, m.Config.HiddenSize], f.Info("base_model.model.model.embed_tokens.weight").Shape);

        var applied = RuntimeModel.Load(ModelDir(model), dir);
        Assert.Equal(m.Embed.Value, applied.Weights.Embedding.ToF32());
        var ids = ReferenceIds(model);
        TrainingFixture.AssertClose((float[])m.Forward(ids, 1, ids.Length).Clone(), Logits(applied, ids), 1e-4, "runtime vs trainer logits with modules_to_save");
    }

    [SharedTheory]
    [MemberData(nameof(F32Models))]
    public void Adapters_that_do_not_fit_are_one_clear_error(string model)
    {
        var m = Adapted(ModelDir(model), rank: 2);
        var good = Path.Combine(_root, "good");
        m.SaveAdapters(good);
        string Copy(string name)
        {
            var d = Path.Combine(_root, name);
            Directory.CreateDirectory(d);
            foreach (var f in Directory.GetFiles(good)) File.Copy(f, Path.Combine(d, Path.GetFileName(f)));
            return d;
        }
        void EditConfig(string d, Action<JsonObject> edit)
        {
            var p = Path.Combine(d, "adapter_config.json");
            var o = JsonNode.Parse(File.ReadAllText(p))!.AsObject();
            edit(o);
            File.WriteAllText(p, o.ToJsonString());
        }
        QuantReasonException Fails(string d) => Assert.Throws<QuantReasonException>(() => RuntimeModel.Load(ModelDir(model), d));

        var rank = Copy("rank");
        EditConfig(rank, o => o["r"] = 8);
        Assert.Contains("rank mismatch", Fails(rank).Message);

        var targets = Copy("targets");
        EditConfig(targets, o => o["target_modules"] = new JsonArray("q_proj"));
        Assert.Contains("target_modules", Fails(targets).Message);

        var missing = Copy("missing");
        File.Delete(Path.Combine(missing, "adapter_model.safetensors"));
        Assert.Contains("adapter_model.safetensors", Fails(missing).Message);
        Assert.Contains("adapter_config.json", Assert.Throws<QuantReasonException>(() => RuntimeModel.Load(ModelDir(model), _root)).Message);

        // an adapter trained on another checkpoint whose shapes differ
        var other = F32Models().Cast<string>().FirstOrDefault(o => o != model
            && (ModelConfig.Load(ModelDir(o)) is var c && (c.HiddenSize != m.Config.HiddenSize || c.QDim != m.Config.QDim || c.NumLayers < m.Config.NumLayers)));
        if (other is not null)
            Assert.Contains("adapter", Assert.Throws<QuantReasonException>(() => RuntimeModel.Load(ModelDir(other), good)).Message);
    }
}
