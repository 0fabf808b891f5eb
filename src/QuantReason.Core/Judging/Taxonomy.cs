using System.Text.Json;
using System.Text.Json.Serialization;

namespace QuantReason.Judging;

public sealed record TaxonomyCategory(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name);

/// <summary>An error type of either version; <see cref="Category"/> is null for v1 types and outcomes.</summary>
public sealed record TaxonomyType(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("definition")] string Definition,
    [property: JsonPropertyName("category")] string? Category = null);

/// <summary>
/// The studies' two error taxonomies and the v1 → v2 crosswalk, loaded from <c>data/taxonomy.json</c> (embedded in the
/// assembly; <see cref="Load"/> reads another copy). Validated on load: every crosswalk entry names known types, every v2
/// type a known category, and every v1 type is mapped.
/// </summary>
public sealed class Taxonomy
{
    public const string FormatError = "format_error";
    public const string NoError = "no_error";

    sealed record Document(
        [property: JsonPropertyName("categories")] List<TaxonomyCategory> Categories,
        [property: JsonPropertyName("v2")] List<TaxonomyType> V2,
        [property: JsonPropertyName("v1")] List<TaxonomyType> V1,
        [property: JsonPropertyName("crosswalk")] Dictionary<string, string> Crosswalk,
        [property: JsonPropertyName("outcomes")] List<TaxonomyType> Outcomes);

    public IReadOnlyList<TaxonomyCategory> Categories { get; }
    public IReadOnlyList<TaxonomyType> V2 { get; }
    public IReadOnlyList<TaxonomyType> V1 { get; }
    public IReadOnlyList<TaxonomyType> Outcomes { get; }
    public IReadOnlyDictionary<string, string> Crosswalk { get; }

    readonly Dictionary<string, TaxonomyType> _v2ById;

    Taxonomy(Document d, string where)
    {
        if (d.Categories is null || d.V2 is null || d.V1 is null || d.Crosswalk is null || d.Outcomes is null)
            throw new QuantReasonException("taxonomy lacks one of categories, v2, v1, crosswalk, outcomes", where);
        Categories = d.Categories; V2 = d.V2; V1 = d.V1; Outcomes = d.Outcomes; Crosswalk = d.Crosswalk;
        var categories = d.Categories.Select(c => c.Id).ToHashSet();
        _v2ById = d.V2.ToDictionary(t => t.Id);
        foreach (var t in d.V2)
            if (t.Category is null || !categories.Contains(t.Category))
                throw new QuantReasonException($"v2 type '{t.Id}' has unknown category '{t.Category}'", where);
        foreach (var t in d.V1)
            if (!d.Crosswalk.TryGetValue(t.Id, out var v2) || !_v2ById.ContainsKey(v2))
                throw new QuantReasonException($"v1 type '{t.Id}' is not mapped to a known v2 type", where);
        foreach (var k in d.Crosswalk.Keys)
            if (d.V1.All(t => t.Id != k)) throw new QuantReasonException($"crosswalk names unknown v1 type '{k}'", where);
    }

    static readonly Lazy<Taxonomy> Embedded = new(() =>
    {
        using var s = typeof(Taxonomy).Assembly.GetManifestResourceStream("QuantReason.taxonomy.json")
            ?? throw new QuantReasonException("embedded taxonomy missing", "QuantReason.Core");
        return FromStream(s, "data/taxonomy.json");
    });

    /// <summary>The taxonomy shipped in <c>data/taxonomy.json</c>.</summary>
    public static Taxonomy Default => Embedded.Value;

    public static Taxonomy Load(string path)
    {
        if (!File.Exists(path)) throw new QuantReasonException("taxonomy file not found", path);
        using var s = File.OpenRead(path);
        return FromStream(s, path);
    }

    static Taxonomy FromStream(Stream s, string where)
    {
        Document? d;
        try { d = JsonSerializer.Deserialize<Document>(s, new JsonSerializerOptions { UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip }); }
        catch (JsonException e) { throw new QuantReasonException($"invalid taxonomy JSON: {e.Message}", where, e); }
        return new Taxonomy(d ?? throw new QuantReasonException("empty taxonomy", where), where);
    }

    /// <summary>The v2 type a v1 type maps to.</summary>
    public TaxonomyType V2Of(string v1Id) =>
        Crosswalk.TryGetValue(v1Id, out var v2) ? _v2ById[v2] : throw new QuantReasonException($"unknown v1 error type '{v1Id}'", "taxonomy");

    /// <summary>The category of a v2 type.</summary>
    public string CategoryOf(string v2Id) =>
        _v2ById.TryGetValue(v2Id, out var t) ? t.Category! : throw new QuantReasonException($"unknown v2 error type '{v2Id}'", "taxonomy");
}
