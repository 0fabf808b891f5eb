using QuantReason.Models;
using QuantReason.Quantization;
using QuantReason.Quantization.Model;
using QuantReason.Runtime;
using QuantReason.Tensors;
using QuantReason.Tests.Quantization.Model;
using QuantReason.Training;
using QuantReason.Weights;

namespace QuantReason.Tests.Training;

/// <summary>QAT from a real GPTQ checkpoint of qwen3-tiny (act-order, so g_idx is not monotonic) and back to one.</summary>
public class QatCheckpointTests
{
    static TrainerOptions Options(int steps, DistillOptions? kd = null) => new()
    {
        Steps = steps, BatchSize = 4, MicroBatchSize = 2, WarmupSteps = 0, LearningRate = 2e-2f, Seed = 3, Distill = kd,
    };

    /// <summary>A random-token SFT source over the fixture's vocabulary (the test is about the grid, not the data).</summary>
    sealed class Tokens(int vocab, int seq) : ISequenceSource
    {
        int _seed = 11;
        public long Position { get; set; }
        public TokenBatch Next(int rows) { Position += rows; return TinyConfigs.Batch(vocab, rows, seq, _seed++); }
    }

    static float[] RuntimeLogits(string dir, int[] ids)
    {
        var model = QuantReason.Runtime.Model.Load(dir);
        return model.Transformer.Forward([new SequenceChunk(model.Transformer.NewCache(), ids)], LogitsMode.All);
    }

    [SharedFact]
    public void Gptq_init_trained_with_kd_and_learned_scales_exports_a_checkpoint_the_gptq_reader_loads_with_the_training_logits()
    {
        using var fx = new QuantizeFixture("qwen3-tiny");
        var init = fx.Out("gptq");
        ModelQuantizer.Run(fx.Source, init, QuantizeOptions.Create(QuantMethod.Gptq, 2, 32, sym: false, descAct: true, QuantizeFixture.Calibration()));
        var initQuant = CheckpointQuantization.Load(init)!;
        using var reference = SafeTensorsFile.Open(Shared.PathOf("fixtures", "models", "qwen3-tiny", "reference.safetensors"));
        var ids = reference.ReadI32("input_ids");

        var student = QatCheckpoint.LoadInit(init, learnScales: true, fx.Config, fx.Source);
        Assert.All(student.Linears, l => Assert.NotNull(l.Grid));
        Assert.Contains(student.Linears, l => l.Grid!.GIdx.Zip(l.Grid.GIdx.Skip(1)).Any(p => p.First > p.Second)); // act-order
        // Before training the fake-quant forward is the PTQ model: the runtime's logits of the init checkpoint.
        TrainingFixture.AssertClose(RuntimeLogits(init, ids), (float[])student.Forward(ids, 1, ids.Length).Clone(), 1e-5, "init logits");

        var scales0 = student.GridScales.Select(p => (float[])p.Value.Clone()).ToList();
        var trainer = new Trainer(student, Options(3, new DistillOptions(0.8f, 2f)), TrainableModel.Load(fx.Source));
        var source = new Tokens(fx.Config.VocabSize, 12);
        for (int i = 0; i < 3; i++) trainer.Step(source);
        Assert.Contains(student.GridScales.Zip(scales0), p => !p.First.Value.SequenceEqual(p.Second)); // scales learned

        var outDir = fx.Out("qat");
        var written = QatCheckpoint.Export(student, outDir, initQuant);
        Assert.Equal(CheckpointQuantMethod.Gptq, written.Method);
        Assert.Equal("qat", written.Algorithm);
        Assert.Equal(initQuant.Gptq!.DescAct, written.Gptq!.DescAct);
        File.Copy(Path.Combine(fx.Source, "tokenizer.json"), Path.Combine(outDir, "tokenizer.json"));

        // Layer by layer through the ordinary GPTQ reader: exactly the weights the training forward multiplies by.
        using (var ck = Checkpoint.Open(outDir))
            foreach (var l in student.Linears)
            {
                var t = GptqCheckpoint.Read(ck.FileOf(l.Module + ".qweight"), l.Module, written.Gptq!);
                Assert.Equal(l.Grid!.GIdx, t.GIdx);
                Assert.Equal(l.ForwardWeight(), t.Dequantize());
            }
        // And the whole model through the runtime, with no second quantization.
        var training = (float[])student.Forward(ids, 1, ids.Length).Clone();
        TrainingFixture.AssertClose(training, RuntimeLogits(outDir, ids), 1e-5, "exported logits");
    }

    [SharedFact]
    public void Plain_fake_quantization_exports_as_symmetric_gptq_with_the_training_logits()
    {
        using var fx = new QuantizeFixture("qwen3-tiny");
        var student = TrainableModel.Load(fx.Source);
        var trainer = new Trainer(student, Options(2) with { FakeQuant = new FakeQuantOptions(3, 32) });
        var source = new Tokens(fx.Config.VocabSize, 10);
        for (int i = 0; i < 2; i++) trainer.Step(source);
        var outDir = fx.Out("qat");
        // 3-bit GPTQ packing needs out_features·3 divisible by 32: qwen3-tiny's 64/128/160 rows are
        var written = QatCheckpoint.Export(student, outDir, null);
        Assert.True(written.Sym);
        Assert.Equal(3, written.Bits);
        File.Copy(Path.Combine(fx.Source, "tokenizer.json"), Path.Combine(outDir, "tokenizer.json"));
        int[] ids = [1, 5, 9, 30, 2, 7, 7, 100, 3];
        TrainingFixture.AssertClose((float[])student.Forward(ids, 1, ids.Length).Clone(), RuntimeLogits(outDir, ids), 1e-5, "exported logits");
    }

    [SharedFact]
    public void An_init_checkpoint_of_another_model_and_a_teacher_with_another_vocabulary_are_one_clear_error_each()
    {
        using var fx = new QuantizeFixture("qwen3-tiny");
        var init = fx.Out("rtn");
        ModelQuantizer.Run(fx.Source, init, QuantizeOptions.Create(QuantMethod.Rtn, 4, 32));
        var other = ModelConfig.Load(Shared.PathOf("fixtures", "models", "llama3-tiny"));
        var e = Assert.Throws<QuantReasonException>(() => QatCheckpoint.LoadInit(init, false, other, "llama3-tiny"));
        Assert.Contains("does not match", e.Message);
        Assert.Contains("intermediate_size 160 vs 176", e.Message);
        Assert.Throws<QuantReasonException>(() => QatCheckpoint.LoadInit(fx.Source, false)); // dense: not an init

        var student = QatCheckpoint.LoadInit(init, false);
        var teacher = TrainableModel.Create(student.Config with { VocabSize = 17 }, 1);
        var t = Assert.Throws<QuantReasonException>(() => new Trainer(student, Options(1, new DistillOptions()), teacher));
        Assert.Contains("vocabulary has 17 tokens", t.Message);
    }
}
