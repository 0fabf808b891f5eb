using QuantReason.Models;
using QuantReason.Quantization;
using QuantReason.Quantization.Model;
using QuantReason.Runtime;
using QuantReason.Tensors;
using QuantReason.Tests.Cli;
using RuntimeModel = QuantReason.Runtime.Model;
using QuantReason.Weights;

namespace QuantReason.Tests.Quantization.Model;

/// <summary>A fixture checkpoint from ../shared copied to a temp folder with the test tokenizer, plus an output folder.</summary>
sealed class QuantizeFixture : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("qr-quantize-").FullName;
    public string Source => Path.Combine(Root, "src");
    public string Name { get; }
    public ModelConfig Config { get; }

    public QuantizeFixture(string fixture)
    {
        Name = fixture;
        var src = Shared.PathOf("fixtures", "models", fixture);
        Directory.CreateDirectory(Source);
        foreach (var f in new[] { "config.json", "model.safetensors", "generation_config.json" })
            File.WriteAllBytes(Path.Combine(Source, f), File.ReadAllBytes(Path.Combine(src, f)));
        File.WriteAllText(Path.Combine(Source, "tokenizer.json"), CliFixture.TokenizerJson());
        Config = ModelConfig.Load(Source);
    }

    public string Out(string name) => Path.Combine(Root, name);

    /// <summary>32 where it divides every in_features of the model, else per channel.</summary>
    public int GroupSize => GroupSizeOf(Config);

    public static int GroupSizeOf(ModelConfig c) => new[] { c.HiddenSize, c.QDim, c.IntermediateSize }.All(d => d % 32 == 0) ? 32 : -1;

    public static CalibrationOptions Calibration(int samples = 4, int length = 32) =>
        new("gsm8k", samples, length, Seed: 7, DataDirectory: Shared.PathOf("data"));

    public QuantizeOptions Options(QuantMethod m) =>
        QuantizeOptions.Create(m, groupSize: m == QuantMethod.SmoothQuant ? null : GroupSize, calibration: Calibration());

    public void Dispose()
    {
        try { Directory.Delete(Root, true); } catch (IOException) { }
    }
}

/// <summary>
/// The W8A8 definition evaluated in plain f32: each token's activations fake-quantized per token (s = max|x|/127,
/// round), times the dequantized weights. The int8×int8→int32 runtime path must agree with it.
/// </summary>
sealed class FakeQuantW8A8(W8A8Linear w) : ILinearWeight
{
    readonly float[] _w = w.ToF32();
    public int InFeatures => w.InFeatures;
    public int OutFeatures => w.OutFeatures;
    public string Format => "w8a8-reference";
    public long ByteSize => 4L * _w.Length;
    public float[] ToF32() => (float[])_w.Clone();

    public void Forward(ReadOnlySpan<float> x, Span<float> y, int tokens)
    {
        var q = new sbyte[InFeatures];
        var xq = new float[InFeatures];
        for (int t = 0; t < tokens; t++)
        {
            float s = W8A8Linear.QuantizeRow(x.Slice(t * InFeatures, InFeatures), q);
            for (int k = 0; k < InFeatures; k++) xq[k] = s * q[k];
            for (int o = 0; o < OutFeatures; o++)
            {
                double acc = 0;
                for (int k = 0; k < InFeatures; k++) acc += (double)xq[k] * _w[(long)o * InFeatures + k];
                y[t * OutFeatures + o] = (float)acc;
            }
        }
    }
}

public class ModelQuantizerTests
{
    public static TheoryData<string, QuantMethod> FixturesTimesMethods()
    {
        var data = new TheoryData<string, QuantMethod>();
        foreach (var f in FixtureNames())
            foreach (var m in Enum.GetValues<QuantMethod>()) data.Add(f, m);
        return data;
    }

    public static TheoryData<string, QuantMethod> FixturesTimesResumableMethods()
    {
        var data = new TheoryData<string, QuantMethod>();
        foreach (var f in FixtureNames())
            foreach (var m in new[] { QuantMethod.Gptq, QuantMethod.Awq, QuantMethod.SmoothQuant }) data.Add(f, m);
        return data;
    }

    static IEnumerable<string> FixtureNames() => Shared.Root is null ? []
        : Directory.GetDirectories(Shared.PathOf("fixtures", "models")).Order(StringComparer.Ordinal).Select(d => Path.GetFileName(d)!);

    /// <summary>Per-linear ‖Ŵ − W‖/‖W‖ bounds on the fixtures' random weights: 8-bit per channel about 0.006, 4-bit
    /// g32 about 0.08 (GPTQ trades weight error for output error, AWQ clips), trit-planes about 0.3.</summary>
    static double MaxRelativeError(QuantMethod m) => m switch
    {
        QuantMethod.SmoothQuant => 0.02,
        QuantMethod.Ptqtp => 0.45,
        _ => 0.25,
    };

    /// <summary>The same quantized model with every packed linear replaced by its dequantized f32 weight (W8A8: the
    /// f32 fake-quant definition), both run in f32 activations.</summary>
    static (Transformer Quantized, Transformer Dequantized) LoadPair(string dir)
    {
        var q = RuntimeModel.Load(dir);
        var d = RuntimeModel.Load(dir);
        foreach (var layer in d.Weights.Layers)
            foreach (var n in Enum.GetValues<Projection>())
                layer[n] = layer[n] switch
                {
                    W8A8Linear w => new FakeQuantW8A8(w),
                    IQuantizedWeight w => DenseLinear.FromF32(w.ToF32(), w.OutFeatures, w.InFeatures),
                    var w => throw new Xunit.Sdk.XunitException($"{n} loaded as {w.Format}, not a quantized weight"),
                };
        q.Transformer.Precision = d.Transformer.Precision = ActivationPrecision.F32;
        return (q.Transformer, d.Transformer);
    }

    static float[] Logits(Transformer t, int[] ids) => t.Forward([new SequenceChunk(t.NewCache(), ids)], LogitsMode.All);

    [SharedTheory, MemberData(nameof(FixturesTimesMethods))]
    public void QuantizedModelMatchesItsDequantizedWeights(string fixture, QuantMethod method)
    {
        using var fx = new QuantizeFixture(fixture);
        var outDir = fx.Out("q");
        var report = ModelQuantizer.Run(fx.Source, outDir, fx.Options(method));
        Assert.Equal(fx.Config.NumLayers, report.Layers.Count);
        Assert.All(report.Layers.SelectMany(l => l.Linears), l => Assert.InRange(l.RelativeError, 1e-6, MaxRelativeError(method)));
        Assert.False(Directory.Exists(Path.Combine(outDir, ".quantize")));

        var (quantized, dequantized) = LoadPair(outDir);
        using var reference = SafeTensorsFile.Open(Shared.PathOf("fixtures", "models", fixture, "reference.safetensors"));
        var ids = reference.ReadI32("input_ids");
        var expected = Logits(dequantized, ids);
        var actual = Logits(quantized, ids);
        double maxRef = expected.Max(v => Math.Abs((double)v)), maxDiff = expected.Zip(actual, (a, b) => Math.Abs((double)a - b)).Max();
        Assert.True(maxDiff <= 1e-4 * maxRef, $"{fixture} {method}: max |Δ| = {maxDiff:E3} > 1e-4 · {maxRef:E3}");

        // Quantization changed the model (the comparison above is not between two dense copies).
        var dense = RuntimeModel.Load(fx.Source).Transformer;
        dense.Precision = ActivationPrecision.F32;
        Assert.NotEqual(Logits(dense, ids), actual);
    }

    [SharedTheory]
    [InlineData(2, false)]
    [InlineData(3, false)]
    [InlineData(3, true)]
    [InlineData(8, true)]
    public void GptqAtOtherWidthsMatchesItsDequantizedWeights(int bits, bool sym)
    {
        // Every fixture whose every linear the GPTQ layout can pack at this width.
        var options = QuantizeOptions.Create(QuantMethod.Gptq, bits, 32, sym, calibration: QuantizeFixture.Calibration());
        var fixtures = FixtureNames().Where(f =>
        {
            var c = ModelConfig.Load(Shared.PathOf("fixtures", "models", f));
            try
            {
                foreach (var p in c.Architecture.Wiring.Projections)
                {
                    var (outF, inF) = p.Shape(c);
                    options.CheckLinear(p.Name, outF, inF);
                }
                return true;
            }
            catch (QuantReasonException) { return false; }
        }).ToList();
        Assert.NotEmpty(fixtures);
        foreach (var fixture in fixtures) QuantizesToItsDequantizedWeights(fixture, options, bits, sym);
    }

    static void QuantizesToItsDequantizedWeights(string fixture, QuantizeOptions options, int bits, bool sym)
    {
        using var fx = new QuantizeFixture(fixture);
        ModelQuantizer.Run(fx.Source, fx.Out("q"), options);
        var (quantized, dequantized) = LoadPair(fx.Out("q"));
        Assert.All(quantized.Weights.Layers, l => Assert.Equal($"q{bits}_g32{(sym ? "_sym" : "")}", l.Gate.Format));
        int[] ids = [1, 17, 200, 42, 9, 300, 77, 5];
        var expected = Logits(dequantized, ids);
        var actual = Logits(quantized, ids);
        double maxRef = expected.Max(v => Math.Abs((double)v)), maxDiff = expected.Zip(actual, (a, b) => Math.Abs((double)a - b)).Max();
        Assert.True(maxDiff <= 1e-4 * maxRef, $"{fixture} {bits}-bit: max |Δ| = {maxDiff:E3} > 1e-4 · {maxRef:E3}");
    }

    [SharedTheory]
    [MemberData(nameof(FixturesTimesResumableMethods))]
    public void InterruptedRunResumesToIdenticalFiles(string fixture, QuantMethod method)
    {
        using var fx = new QuantizeFixture(fixture);
        var options = fx.Options(method);
        ModelQuantizer.Run(fx.Source, fx.Out("full"), options);

        using var cts = new CancellationTokenSource();
        var stopAtSecondLayer = new CancelOnStart(cts, "layer 2/");
        Assert.ThrowsAny<OperationCanceledException>(() => ModelQuantizer.Run(fx.Source, fx.Out("resumed"), options, stopAtSecondLayer, cts.Token));
        Assert.False(File.Exists(Path.Combine(fx.Out("resumed"), "model.safetensors")));
        var report = ModelQuantizer.Run(fx.Source, fx.Out("resumed"), options);
        Assert.Equal(1, report.ResumedLayers);

        foreach (var f in new[] { "model.safetensors", "config.json" })
            Assert.True(File.ReadAllBytes(Path.Combine(fx.Out("full"), f)).SequenceEqual(File.ReadAllBytes(Path.Combine(fx.Out("resumed"), f))),
                $"{f} differs after resuming");
    }

    public static TheoryData<string> Fixtures()
    {
        var data = new TheoryData<string>();
        foreach (var f in FixtureNames()) data.Add(f);
        return data;
    }

    /// <summary>GPTQ's stage passes resuming from kept activations (bf16 on the bf16 fixture; f32 attention outputs, or
    /// none where they are wider than the residual stream, on the others) compute exactly what running every pass from
    /// the layer's start does.</summary>
    [SharedTheory]
    [MemberData(nameof(Fixtures))]
    public void GptqStagePassesResumingFromKeptInputsGiveIdenticalFiles(string fixture)
    {
        using var fx = new QuantizeFixture(fixture);
        var options = fx.Options(QuantMethod.Gptq);
        Assert.True(options.ReuseStageInputs);
        ModelQuantizer.Run(fx.Source, fx.Out("reused"), options);
        ModelQuantizer.Run(fx.Source, fx.Out("recomputed"), options with { ReuseStageInputs = false });
        Assert.True(File.ReadAllBytes(Path.Combine(fx.Out("reused"), "model.safetensors"))
            .SequenceEqual(File.ReadAllBytes(Path.Combine(fx.Out("recomputed"), "model.safetensors"))), $"{fixture}: files differ");
    }

    sealed class CancelOnStart(CancellationTokenSource cts, string task) : IProgressSink
    {
        public void Start(string name, double total) { if (name.StartsWith(task, StringComparison.Ordinal)) cts.Cancel(); }
        public void Advance(double units, string? status = null) { }
        public void Finish() { }
    }

    [SharedFact]
    public void ResumeRefusesOtherSettings()
    {
        foreach (var fixture in FixtureNames()) ResumeRefusesOtherSettingsOn(fixture);
    }

    static void ResumeRefusesOtherSettingsOn(string fixture)
    {
        using var fx = new QuantizeFixture(fixture);
        using var cts = new CancellationTokenSource();
        var options = fx.Options(QuantMethod.Rtn);
        Assert.ThrowsAny<OperationCanceledException>(() => ModelQuantizer.Run(fx.Source, fx.Out("o"), options, new CancelOnStart(cts, "layer 2/"), cts.Token));
        var e = Assert.Throws<QuantReasonException>(() => ModelQuantizer.Run(fx.Source, fx.Out("o"), options with { Bits = 8 }));
        Assert.Contains("other settings", e.Message);
    }

    [SharedFact]
    public void GptqWritesTheHuggingFaceLayoutAndReadsBackExactly()
    {
        var fixtures = FixtureNames().Where(f => QuantizeFixture.GroupSizeOf(ModelConfig.Load(Shared.PathOf("fixtures", "models", f))) == 32).ToList();
        Assert.NotEmpty(fixtures);
        foreach (var fixture in fixtures) GptqWritesTheHuggingFaceLayoutOf(fixture);
    }

    static void GptqWritesTheHuggingFaceLayoutOf(string fixture)
    {
        using var fx = new QuantizeFixture(fixture);
        var options = fx.Options(QuantMethod.Gptq) with { DescAct = true };
        ModelQuantizer.Run(fx.Source, fx.Out("q"), options);
        var q = CheckpointQuantization.Load(fx.Out("q"))!;
        Assert.Equal(CheckpointQuantMethod.Gptq, q.Method);
        Assert.Equal(GptqConfig.Load(fx.Out("q")), q.Gptq);
        Assert.True(q.Gptq!.DescAct);
        using var ck = Checkpoint.Open(fx.Out("q"));
        var name = WeightNames.Layer(0, "mlp.down_proj");
        // qweight [in·4/32, out] int32, scales [groups, out] fp16, act-order g_idx not sequential.
        Assert.Equal([fx.Config.IntermediateSize / 8, fx.Config.HiddenSize], ck.Info(name + ".qweight").Shape);
        Assert.Equal(DType.F16, ck.Info(name + ".scales").DType);
        var gidx = ck.FileOf(name + ".g_idx").ReadI32(name + ".g_idx");
        Assert.NotEqual(QuantizedTensor.SequentialGIdx(gidx.Length, 32), gidx);
        Assert.False(ck.Contains(name + ".weight"));
        Assert.True(ck.Contains(WeightNames.Embed));
    }
}
