using QuantReason.Judging;
namespace QuantReason.Jobs;

/// <summary>Counts of the labels one verifier pass wrote, keyed by (category, v2 type, v1 type).</summary>
public sealed record LabelCounts(int Total, IReadOnlyDictionary<(string? Category, string? Type, string? TypeV1), int> ByType);

/// <summary>
/// Labels every prediction of a StepMath run with the first error the verifier finds and writes labels.jsonl, one flushed
/// line per prediction (the run-directory contract), so an interrupted pass keeps what it wrote.
/// </summary>
public static class RunLabeller
{
    public static LabelCounts Label(string predictionsPath, string labelsPath, ProblemResolver resolver, Taxonomy taxonomy)
    {
        var counts = new Dictionary<(string?, string?, string?), int>();
        int total = 0;
        var partial = labelsPath + ".partial";
        using (var writer = new StreamWriter(partial))
        {
            foreach (var (line, where) in PredictionLine.Read(predictionsPath))
            {
                var problem = resolver.Resolve(line, where);
                var label = VerifierLabel.From(line.ProblemId, line.Sample, StepVerifier.Verify(problem, line.Output), taxonomy);
                writer.WriteLine(label.ToJsonLine());
                var key = (label.Category, label.ErrorType, label.ErrorTypeV1);
                counts[key] = counts.GetValueOrDefault(key) + 1;
                total++;
            }
        }
        // labels are derived data: replaced whole, so a rerun never mixes two verifier passes
        File.Move(partial, labelsPath, overwrite: true);
        return new LabelCounts(total, counts);
    }
}
