using QuantReason.Cli;
using QuantReason.Models;
using QuantReason.Runtime;
using QuantReason.Tensors;
using QuantReason.Tokenizers;

namespace QuantReason.Tests.Cli;

public class QuantizeCommandTests(CliFixture fx) : IClassFixture<CliFixture>
{
    static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = Commands.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    string NewOut() => Path.Combine(Directory.CreateTempSubdirectory("qr-quantize-cli-").FullName, "out");

    /// <summary>quantize on the fixture with small GSM8K calibration; <paramref name="extra"/> options replace these defaults.</summary>
    string[] Quantize(string outDir, params string[] extra)
    {
        string[] defaults = ["--calib", "gsm8k", "--calib-samples", "4", "--calib-len", "32"];
        var args = new List<string> { "quantize", "--model", fx.Dir, "--out", outDir, "--data-dir", Shared.PathOf("data") };
        for (int i = 0; i < defaults.Length; i += 2)
            if (!extra.Contains(defaults[i])) args.AddRange([defaults[i], defaults[i + 1]]);
        return [.. args, .. extra];
    }

    /// <summary>A group size dividing every in_features of the fixture (32), else per channel.</summary>
    string GroupSize
    {
        get
        {
            var c = ModelConfig.Load(fx.Dir);
            return new[] { c.HiddenSize, c.QDim, c.IntermediateSize }.All(d => d % 32 == 0) ? "32" : "-1";
        }
    }

    [SharedFact]
    public void QuantizedCheckpointGeneratesLikeTheRuntimeOnIt()
    {
        var outDir = NewOut();
        try
        {
            var q = Run(Quantize(outDir, "--method", "gptq", "--group-size", GroupSize, "--desc-act"));
            Assert.True(q.Code == 0, q.Err);
            Assert.Contains("gptq 4-bit", q.Out);
            Assert.Contains("calibration: gsm8k train", q.Out);

            const string prompt = "the answer is 12 = 7 + 5";
            var (code, output, err) = Run("generate", "--model", outDir, "--prompt", prompt, "--max-new-tokens", "16");
            Assert.True(code == 0, err);
            var tok = TokenizerLoader.FromDirectory(outDir);
            var model = Model.Load(outDir);
            Assert.All(model.Weights.Layers, l => Assert.StartsWith("q4", l.Down.Format));
            var expected = new Generator(model.Transformer).Generate([tok.Encode(prompt, addSpecialTokens: true)], new GenerationOptions
            {
                MaxNewTokens = 16, VocabLimit = tok.VocabSize, StopTokenIds = tok.EosIds.Concat(model.Config.EosTokenIds).ToList(),
            })[0];
            var text = tok.Decode(expected.Tokens.Where(t => !model.Config.EosTokenIds.Contains(t)).ToArray(), skipSpecialTokens: true);
            Assert.Equal(text + Environment.NewLine, output);

            var inspect = Run("inspect", "--model", outDir);
            Assert.True(inspect.Code == 0, inspect.Err);
            Assert.Contains("quantization  gptq 4-bit", inspect.Out);
        }
        finally { Directory.Delete(Path.GetDirectoryName(outDir)!, true); }
    }

    public static TheoryData<string[], string> BadInput => new()
    {
        { ["--method", "gptq", "--bits", "5"], "model.layers.0.self_attn.q_proj: unsupported integer format: 5 bits" },
        { ["--method", "rtn", "--group-size", "48"], "model.layers.0.self_attn.q_proj: unsupported integer format: 4 bits, group size 48" },
        { ["--method", "awq", "--bits", "3", "--group-size", "-1"], "model.layers.0.self_attn.q_proj: awq writes the AutoAWQ gemm layout, which holds 4-bit weights only" },
        { ["--method", "smoothquant", "--bits", "4"], "model.layers.0.self_attn.q_proj: smoothquant stores W8A8" },
        { ["--method", "gptq", "--group-size", "-1", "--calib-samples", "1", "--calib-len", "8"], "model.layers.0.self_attn.q_proj: too few calibration tokens: 1 × 8 < 16" },
        { ["--method", "gptq", "--group-size", "-1", "--calib", "/nonexistent/calibration.txt"], "/nonexistent/calibration.txt: calibration source not found" },
        { ["--method", "nope"], "unknown method 'nope'" },
    };

    [SharedTheory, MemberData(nameof(BadInput))]
    public void BadInputGetsOneClearError(string[] args, string expected)
    {
        var outDir = NewOut();
        try
        {
            var (code, _, err) = Run(Quantize(outDir, args));
            Assert.Equal(1, code);
            var errors = err.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToList();
            Assert.True(errors.Count == 1, err);
            Assert.Contains(expected, errors[0]);
            Assert.DoesNotContain("   at ", err);
            Assert.False(File.Exists(Path.Combine(outDir, "model.safetensors")));
        }
        finally { Directory.Delete(Path.GetDirectoryName(outDir)!, true); }
    }

    [SharedFact]
    public void GroupSizeNotDividingInFeaturesNamesTheLayer()
    {
        var c = ModelConfig.Load(fx.Dir);
        // The first linear (in running order) whose in_features 32 does not divide, if the fixture has one; else 64.
        int g = new[] { c.HiddenSize, c.QDim, c.IntermediateSize }.Any(d => d % 32 != 0) ? 32 : 64;
        var (name, inF) = c.Architecture.Wiring.Projections.Select(p => (p.Name, p.Shape(c).In)).First(x => x.Item2 % g != 0);
        var outDir = NewOut();
        try
        {
            var (code, _, err) = Run(Quantize(outDir, "--method", "rtn", "--group-size", g.ToString()));
            Assert.Equal(1, code);
            Assert.Contains($"error: model.layers.0.{name}: group size {g} does not divide in_features {inF}", err);
        }
        finally { Directory.Delete(Path.GetDirectoryName(outDir)!, true); }
    }

    /// <summary>Rewrites one tensor of a checkpoint's model.safetensors.</summary>
    static void Corrupt(string dir, string name, Func<byte[], byte[]> change)
    {
        var path = Path.Combine(dir, "model.safetensors");
        List<TensorData> tensors;
        using (var f = SafeTensorsFile.Open(path))
            tensors = f.Tensors.Values.Select(t => new TensorData(t.Name, t.DType, t.Shape,
                t.Name == name ? change(f.Bytes(t.Name).ToArray()) : f.Bytes(t.Name).ToArray())).ToList();
        SafeTensorsWriter.Write(path, tensors);
    }

    [SharedTheory]
    [InlineData("rtn", "model.layers.1.mlp.down_proj.g_idx", "model.layers.1.mlp.down_proj: g_idx entry")]
    [InlineData("ptqtp", "model.layers.0.mlp.up_proj.trit_plane1", "model.layers.0.mlp.up_proj.trit_plane1: trit code 3")]
    public void CorruptPackedTensorGetsOneClearErrorNamingTheLayer(string method, string tensor, string expected)
    {
        var outDir = NewOut();
        try
        {
            var q = Run(Quantize(outDir, "--method", method, "--group-size", GroupSize));
            Assert.True(q.Code == 0, q.Err);
            Corrupt(outDir, tensor, b => { b[0] = 0xFF; b[1] = 0x7F; return b; });
            var (code, _, err) = Run("generate", "--model", outDir, "--prompt", "hi", "--max-new-tokens", "2");
            Assert.Equal(1, code);
            Assert.Contains(expected, err);
            Assert.Single(err.Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal));
        }
        finally { Directory.Delete(Path.GetDirectoryName(outDir)!, true); }
    }

    static readonly string StepMathRef = QuantReason.Tests.Jobs.StudyRunnerTests.Model;

    /// <summary>
    /// The shipped model with nothing but the method and the output: the group size follows its widths (128 does not
    /// divide 320), the calibration length its 128-token context, the calibration source its quantreason.json (StepMath,
    /// generated offline, in the chat rendering its newline-free vocabulary needs). Fewer samples keep it quick.
    /// </summary>
    [QuantReason.Tests.Jobs.ReferenceModelFact]
    public void Gptq_with_only_the_model_follows_the_model()
    {
        var outDir = NewOut();
        var empty = Directory.CreateTempSubdirectory("qr-no-data-").FullName; // GSM8K is not there: nothing may need it
        try
        {
            var (code, stdout, err) = Run("quantize", "--model", StepMathRef, "--method", "gptq", "--out", outDir, "--calib-samples", "8", "--data-dir", empty);
            Assert.True(code == 0, err);
            Assert.Contains("gptq 4-bit g64: wrote", stdout.ReplaceLineEndings(""));
            Assert.Contains("stepmath (train split): 8 × 128 tokens", stdout.ReplaceLineEndings(""));
            Assert.Contains("chat template", stdout.ReplaceLineEndings(""));
            Assert.Equal(File.ReadAllText(Path.Combine(StepMathRef, "quantreason.json")), File.ReadAllText(Path.Combine(outDir, "quantreason.json")));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(outDir)!, true);
            Directory.Delete(empty, true);
        }
    }

    /// <summary>Settings given explicitly that cannot work on the model fail before any work, naming the flag that fixes them.</summary>
    [QuantReason.Tests.Jobs.ReferenceModelTheory]
    [InlineData("--group-size", "128", "error: model.layers.0.mlp.down_proj: group size 128 does not divide in_features 320; this model takes --group-size -1, 32, 64")]
    [InlineData("--calib-len", "512", "error: --calib-len: calibration length 512 exceeds the model's context of 128; give --calib-len 128 or less")]
    [InlineData("--calib", "gsm8k", "or choose another --calib (stepmath is generated offline, or a text/JSONL file)")]
    [InlineData("--chat-template", "false", "does not fit the model's vocabulary (")] // "\n\n" between problem and solution, outside its vocabulary
    public void Explicit_settings_the_model_cannot_take_name_the_flag(string flag, string value, string expected)
    {
        var outDir = NewOut();
        var empty = Directory.CreateTempSubdirectory("qr-no-data-").FullName;
        try
        {
            var (code, _, err) = Run("quantize", "--model", StepMathRef, "--method", "gptq", "--out", outDir, "--data-dir", empty, flag, value);
            Assert.Equal(1, code);
            Assert.Contains(expected, err);
            Assert.Single(err.TrimEnd().Split('\n'));
        }
        finally
        {
            if (Directory.Exists(Path.GetDirectoryName(outDir)!)) Directory.Delete(Path.GetDirectoryName(outDir)!, true);
            Directory.Delete(empty, true);
        }
    }
}
