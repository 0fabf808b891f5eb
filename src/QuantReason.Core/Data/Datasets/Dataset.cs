using QuantReason.Evaluation;
namespace QuantReason.Data.Datasets;

/// <summary>A loaded dataset: its problems in file order, the schema it was read as, and the lines skipped on the way.</summary>
public sealed record Dataset(
    string Path,
    DatasetFormat Format,
    IReadOnlyList<Problem> Problems,
    IReadOnlyList<string> Warnings);
