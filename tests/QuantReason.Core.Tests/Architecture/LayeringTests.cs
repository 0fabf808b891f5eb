namespace QuantReason.Tests.Architecture;

/// <summary>
/// QuantReason.Core is a stack of layers, each using only those below it: the folder tree (folder = namespace) shows
/// the pipeline, and this test keeps it true on every type the compiler emits. docs/architecture.md draws the same table.
/// </summary>
public class LayeringTests
{
    /// <summary>The layers, lowest first. A type may use its own layer and any layer in an earlier row; layers in one
    /// row sit beside each other and never use each other. <c>QuantReason</c> itself (the exception and progress types)
    /// is the floor every layer stands on.</summary>
    public static readonly string[][] Layers =
    [
        ["QuantReason"],
        ["Tensors", "Data"],
        ["Kernels"],
        ["Weights", "Tokenizers"],
        ["Models"],
        ["Runtime"],
        ["Quantization", "Training"],
        ["Evaluation"],
        ["Judging"],
        ["Jobs", "Serving"],
    ];

    /// <summary>The layer of a type: the namespace segment after <c>QuantReason.</c>; null for types the compiler
    /// generates outside the project's namespaces (regex source generators).</summary>
    static string? LayerOf(string fullName)
    {
        var parts = fullName.Split('.');
        if (parts[0] != "QuantReason") return null;
        return parts.Length > 2 ? parts[1] : "QuantReason";
    }

    static int Row(string layer)
    {
        int row = Array.FindIndex(Layers, r => r.Contains(layer));
        Assert.True(row >= 0, $"namespace QuantReason.{layer} is in no layer: add it to {nameof(LayeringTests)}.{nameof(Layers)} and docs/architecture.md");
        return row;
    }

    [Fact]
    public void NoTypeUsesALayerAboveOrBesideIts()
    {
        var violations = TypeReferences.Of(typeof(QuantReasonException).Assembly)
            .Select(e => (e.From, e.To, FromLayer: LayerOf(e.From), ToLayer: LayerOf(e.To)))
            .Where(e => e.FromLayer is not null && e.ToLayer is not null && e.FromLayer != e.ToLayer && Row(e.FromLayer) <= Row(e.ToLayer))
            .Select(e => $"{e.FromLayer} → {e.ToLayer}: {e.From} uses {e.To}")
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.True(violations.Count == 0, $"{violations.Count} references against the layer order:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void EveryNamespaceIsInALayerAndEveryLayerExists()
    {
        var namespaces = typeof(QuantReasonException).Assembly.GetTypes()
            .Select(t => t.Namespace is { } ns ? LayerOf(ns + ".T") : null).OfType<string>().ToHashSet();
        foreach (var ns in namespaces) Row(ns);
        foreach (var layer in Layers.SelectMany(r => r))
            Assert.True(namespaces.Contains(layer), $"layer {layer} has no namespace QuantReason.{layer}: remove it from the table");
    }

    /// <summary>The checker itself: it must see a use that only a method body makes (no signature mentions it), or a
    /// violation could hide in a local.</summary>
    [Fact]
    public void TheReferenceReaderSeesUsesInsideMethodBodies()
    {
        var edges = TypeReferences.Of(typeof(LayeringTests).Assembly);
        Assert.Contains(edges, e => e.From == typeof(BodyOnlyUser).FullName && e.To == typeof(BodyOnlyTarget).FullName);
    }
}

sealed class BodyOnlyTarget { public static int Value => 42; }
sealed class BodyOnlyUser { public static int Read() { var n = BodyOnlyTarget.Value; return n + 1; } }
