using QuantReason.Models;
using QuantReason.Runtime;
using QuantReason.Tensors;

namespace QuantReason.Tests.Models;

/// <summary>The layer wiring table against itself and against what the models actually load and run.</summary>
public class LayerWiringTests
{
    public static TheoryData<ArchitectureKind> Architectures() => new(ArchitectureTraits.Table.Select(t => t.Kind));

    [Theory, MemberData(nameof(Architectures))]
    public void GroupsCoverEveryProjectionExactlyOnceInRunningOrder(ArchitectureKind kind)
    {
        var wiring = ArchitectureTraits.Of(kind).Wiring;
        var ids = wiring.Projections.Select(p => p.Id).ToList();
        Assert.Equal(ids.Distinct(), ids);
        Assert.Equal(ids.Count, wiring.Projections.Select(p => p.Name).Distinct().Count());
        // Flattened in group order, the groups list every projection once, in the order the projections run.
        Assert.Equal(ids, wiring.Groups.SelectMany(g => g.Projections));
        for (int i = 0; i < wiring.Groups.Count; i++)
        {
            var g = wiring.Groups[i];
            Assert.True(g.Norm is null != g.Previous is null, $"group {i} needs exactly one producing op");
            // A previous projection ran in an earlier group.
            if (g.Previous is { } prev) Assert.Contains(prev, wiring.Groups.Take(i).SelectMany(x => x.Projections));
            foreach (var p in g.Projections) Assert.Same(g, wiring.GroupOf(p));
            // Projections sharing an input have the same in_features.
            Assert.Single(g.Projections.Select(p => wiring[p].In).Distinct());
        }
    }

    /// <summary>The fixture models (all four architectures' tiny checkpoints), by architecture.</summary>
    static IEnumerable<string> FixturesOf(ArchitectureKind kind) =>
        Directory.GetDirectories(Shared.PathOf("fixtures", "models")).Order(StringComparer.Ordinal)
            .Where(d => ModelConfig.Load(d).Architecture.Kind == kind).Select(d => Path.GetFileName(d)!);

    [SharedTheory, MemberData(nameof(Architectures))]
    public void TheTableMatchesWhatTheModelsLoadAndRun(ArchitectureKind kind)
    {
        var fixtures = FixturesOf(kind).ToList();
        Assert.NotEmpty(fixtures); // every architecture of the table has a reference model to check against
        foreach (var name in fixtures)
        {
            var dir = Shared.PathOf("fixtures", "models", name);
            var model = Model.Load(dir);
            var cfg = model.Config;
            var wiring = cfg.Architecture.Wiring;
            using (var ck = Checkpoint.Open(dir))
            {
                // The checkpoint's matrices in a layer are exactly the table's projections, with the table's shapes.
                var matrices = ck.Tensors.Where(t => t.Name.StartsWith(WeightNames.Layer(0, ""), StringComparison.Ordinal) && t.Shape.Length == 2)
                    .ToDictionary(t => t.Name[WeightNames.Layer(0, "").Length..], t => (t.Shape[0], t.Shape[1]));
                Assert.Equal(wiring.Projections.Select(p => p.Name + ".weight").Order(StringComparer.Ordinal), matrices.Keys.Order(StringComparer.Ordinal));
                foreach (var p in wiring.Projections)
                {
                    var (o, i) = p.Shape(cfg);
                    Assert.Equal(((long)o, (long)i), matrices[p.Name + ".weight"]);
                    Assert.Equal((o, i), (model.Weights.Layers[0][p.Id].OutFeatures, model.Weights.Layers[0][p.Id].InFeatures));
                }
            }
            foreach (var g in wiring.Groups)
                if (g.Previous is { } prev && !g.RequiresMatchingShape)
                    Assert.Equal(model.Weights.Layers[0][prev].OutFeatures, model.Weights.Layers[0][g.First].InFeatures);

            // Running a layer shows each group's input once, in table order, as wide as its projections' inputs.
            var t = model.Transformer;
            var chunks = new[] { new SequenceChunk(t.NewCache(), [1, 2, 3]) };
            var x = t.Embed(chunks);
            var seen = new List<(InputGroup, int)>();
            t.ForwardLayer(0, chunks, x, (group, input, tokens) => seen.Add((group, input.Length / tokens)));
            Assert.Equal(wiring.Groups.Select(g => (g, wiring[g.First].Shape(cfg).In)), seen);
        }
    }
}
