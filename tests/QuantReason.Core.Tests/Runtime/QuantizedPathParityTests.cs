using QuantReason.Models;
using QuantReason.Runtime;
using QuantReason.Training;
using QuantReason.Weights;

namespace QuantReason.Tests.Runtime;

/// <summary>
/// The runtime's quantized path (per-token dynamic activations, quantized KV cache, packed int4 weights) against the
/// training forward's fake quantization of the same scheme, on the embedded model and the shared checkpoints. Both run
/// the one <see cref="ActivationScheme"/> definition; what differs is f32 summation order (kernels vs the trainer's GEMM),
/// which can move a value across a rounding boundary of an activation code now and then, hence a tolerance, not equality.
/// </summary>
public class QuantizedPathParityTests
{
    public static TheoryData<string> Models()
    {
        var data = new TheoryData<string> { RepoFiles.PathOf("data", "models", "stepmath-ref") };
        foreach (var f in Shared.Folders("fixtures", "models")) data.Add(Shared.PathOf("fixtures", "models", f));
        return data;
    }

    /// <summary>Replaces every decoder linear by int4 codes packed for the runtime kernels, on exactly the fake-quant grid.</summary>
    static void PackOnTrainingGrid(Model model, TrainableModel trained, FakeQuantOptions fq)
    {
        var wiring = model.Config.Architecture.Wiring;
        for (int l = 0; l < model.Config.NumLayers; l++)
            foreach (var p in wiring.Projections)
            {
                var lin = trained.Linears.Single(x => x.Module == WeightNames.Layer(l, p.Name));
                var q = FakeQuantizer.Quantize(lin.Weight.Value, lin.Out, lin.In, fq);
                int gl = Math.Min(fq.GroupSize, lin.In);
                var format = QuantFormat.Int(4, gl == lin.In ? -1 : gl, sym: true);
                var codes = q.Codes.Select(c => (byte)(c + 8)).ToArray();
                var zeros = Enumerable.Repeat(8f, q.Scales.Length).ToArray();
                model.Weights.Layers[l][p.Id] = QuantizedLinear.Pack(
                    new QuantizedTensor(format, lin.Out, lin.In, codes, q.Scales, zeros, QuantizedTensor.SequentialGIdx(lin.In, gl)));
            }
    }

    /// <summary>max |Δlogit| / max |logit| over every position of a 40-token prompt.</summary>
    static double Mismatch(string dir, ActivationScheme? act, ActivationScheme? kv, FakeQuantOptions? weights, int tokens = 40)
    {
        var trained = TrainableModel.Load(dir);
        if (weights is not null) trained.SetFakeQuant(weights);
        trained.SetActivationQuant(act, kv);
        var model = Model.Load(dir);
        model.Transformer.Precision = ActivationPrecision.F32; // the trainer computes in f32, bf16 checkpoints included
        if (weights is not null) PackOnTrainingGrid(model, trained, weights);
        model.Transformer.UseSchemes(act, kv);
        int vocab = model.Config.VocabSize;
        var ids = Enumerable.Range(0, tokens).Select(i => 3 + i * 17 % (vocab - 3)).ToArray();
        var expected = trained.Forward(ids, 1, tokens);
        var actual = model.Transformer.Forward([new SequenceChunk(model.Transformer.NewCache(), ids)], LogitsMode.All);
        double maxAbs = 0, maxDiff = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            maxAbs = Math.Max(maxAbs, Math.Abs(expected[i]));
            maxDiff = Math.Max(maxDiff, Math.Abs(expected[i] - actual[i]));
        }
        return maxDiff / maxAbs;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Runtime_W4A4KV4_matches_the_training_fake_quant_forward(string dir)
    {
        foreach (var (a, kv, w) in new[] { ("a8", "kv8g16", 0), ("a4", "kv4g16", 0), ("a4", "kv4", 4), ("a8", "none", 4) })
        {
            int inMin = 1 << 30;
            double m = Mismatch(dir, ActivationScheme.Parse(a, "a", "test"), ActivationScheme.Parse(kv, "kv", "test"),
                w == 0 ? null : new FakeQuantOptions(4, dir.Contains("stepmath-ref") ? 32 : inMin));
            Console.WriteLine($"{Path.GetFileName(dir)} {a} {kv} w{w}: {m:E2}");
        }
    }
}
