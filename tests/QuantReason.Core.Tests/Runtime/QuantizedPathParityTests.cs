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
    /// <summary>The embedded model, and the shared checkpoints when ../shared is there.</summary>
    static List<string> Models()
    {
        var dirs = new List<string> { RepoFiles.PathOf("data", "models", "stepmath-ref") };
        if (Shared.Root is not null)
            dirs.AddRange(Directory.GetDirectories(Shared.PathOf("fixtures", "models")).Order(StringComparer.Ordinal));
        return dirs;
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

    /// <summary>max |Δlogit| / max |logit| over every position of a prompt, and the positions whose argmax agrees.</summary>
    static (double Mismatch, int SameArgmax, int Positions) Compare(string dir, ActivationScheme? act, ActivationScheme? kv, FakeQuantOptions? weights, int tokens = 24)
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
        int same = 0;
        for (int t = 0; t < tokens; t++)
            if (ArgMax(expected.AsSpan(t * vocab, vocab)) == ArgMax(actual.AsSpan(t * vocab, vocab))) same++;
        return (maxDiff / maxAbs, same, tokens);
    }

    static int ArgMax(ReadOnlySpan<float> v) => System.Numerics.Tensors.TensorPrimitives.IndexOfMax(v);

    /// <summary>
    /// Stated tolerance. A run matches to f32 round-off (≤ 2·10⁻⁶ of the largest logit) unless some activation or cached
    /// value lies within round-off of a rounding boundary: then the two paths pick neighbouring codes (one step, up to 1/7
    /// of its group's largest value at 4 bits) and the logits after it move by up to a few tenths of the largest logit.
    /// Such flips are rare (≈ 10⁻⁵ of the values at 8 bits, fewer at 4), so across the models and schemes at least 70 %
    /// of the runs must match to round-off, 95 % of the positions must keep their greedy token, and no run may be off by
    /// more than half the largest logit. A path that skipped or misplaced a quantization would miss every run.
    /// </summary>
    [Fact]
    public void Runtime_W4A4KV4_and_W4A8_match_the_training_fake_quant_forward()
    {
        var schemes = new[] { ("a8", "kv8g16", 0), ("a4", "kv4g16", 0), ("a4", "kv4", 4), ("a8", "none", 4) };
        int runs = 0, exact = 0, same = 0, positions = 0;
        var lines = new List<string>();
        foreach (var dir in Models())
            foreach (var (a, kv, w) in schemes)
            {
                // Weights on the runtime's packed grid: groups of 32 where every input width allows it, else per channel.
                var r = Compare(dir, ActivationScheme.Parse(a, "a", "test"), ActivationScheme.Parse(kv, "kv", "test"),
                    w == 0 ? null : new FakeQuantOptions(4, dir.Contains("stepmath-ref") ? 32 : 1 << 20));
                lines.Add($"{Path.GetFileName(dir)} w{(w == 0 ? "f32" : "4")}{a}{kv}: {r.Mismatch:E1}, argmax {r.SameArgmax}/{r.Positions}");
                Assert.True(r.Mismatch <= 0.5, string.Join("\n", lines));
                runs++;
                if (r.Mismatch <= 2e-6) exact++;
                same += r.SameArgmax;
                positions += r.Positions;
            }
        Console.WriteLine(string.Join("\n", lines));
        Assert.True(exact >= 0.7 * runs, $"{exact}/{runs} runs within round-off:\n" + string.Join("\n", lines));
        Assert.True(same >= 0.95 * positions, $"{same}/{positions} positions keep their greedy token:\n" + string.Join("\n", lines));
    }
}
