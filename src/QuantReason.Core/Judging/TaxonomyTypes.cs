using QuantReason.Data.StepMath;

namespace QuantReason.Judging;

/// <summary>Reads a type id a labeller gave in either taxonomy version into (v2, v1, category); unknown ids are errors.</summary>
public static class TaxonomyTypes
{
    public static (string? V2, string? V1, string? Category) Resolve(string? type, Taxonomy taxonomy, string where)
    {
        if (type is null or Taxonomy.NoError) return (null, null, null);
        if (type == Taxonomy.FormatError) return (Taxonomy.FormatError, null, null);
        if (taxonomy.V2.Any(t => t.Id == type)) return (type, null, taxonomy.CategoryOf(type));
        if (taxonomy.V1.Any(t => t.Id == type)) { var v2 = taxonomy.V2Of(type).Id; return (v2, type, taxonomy.CategoryOf(v2)); }
        throw new QuantReasonException(
            $"unknown error type '{type}' (expected a v2 type: {string.Join(", ", taxonomy.V2.Select(t => t.Id))}; a v1 type; or format_error)", where);
    }

    /// <summary>Every id a judge may answer with.</summary>
    public static IReadOnlyList<string> Allowed(Taxonomy taxonomy) =>
        [.. taxonomy.V2.Select(t => t.Id), .. taxonomy.V1.Select(t => t.Id), Taxonomy.FormatError];
}
