using QuantReason.Judging;
using QuantReason.Evaluation.Runs;

namespace QuantReason.Jobs;

/// <summary>Counts of the labels one verifier pass wrote, keyed by (category, v2 type, v1 type).</summary>
public sealed record LabelCounts(int Total, IReadOnlyDictionary<(string? Category, string? Type, string? TypeV1), int> ByType);

/// <summary>
/// Labels every prediction of a StepMath run with the first error the verifier finds and writes labels.jsonl through
/// <see cref="RunDirectory"/>, which replaces the file whole so a rerun never mixes two verifier passes.
/// </summary>
public static class RunLabeller
{
    /// <summary>Labels the run directory <paramref name="runPath"/> (its manifest is checked, its lock held while writing).</summary>
    public static LabelCounts Label(string runPath, ProblemResolver resolver, Taxonomy taxonomy)
    {
        using var run = RunDirectory.Open(runPath);
        return Label(run.PredictionsPath, run.WriteLabels, resolver, taxonomy);
    }

    /// <summary>
    /// Labels a bare predictions.jsonl (<c>stepmath verify --predictions FILE</c>), writing <paramref name="labelsPath"/>
    /// the same way.
    /// </summary>
    public static LabelCounts Label(string predictionsPath, string labelsPath, ProblemResolver resolver, Taxonomy taxonomy) =>
        Label(predictionsPath, labels => RunDirectory.WriteLabels(labelsPath, labels), resolver, taxonomy);

    static LabelCounts Label(string predictionsPath, Func<IEnumerable<LabelRecord>, int> write, ProblemResolver resolver, Taxonomy taxonomy)
    {
        var counts = new Dictionary<(string?, string?, string?), int>();
        var predictions = RunDirectory.ReadPredictionLines(predictionsPath, strict: true);
        var total = write(predictions.Select(p =>
        {
            var problem = resolver.Resolve(p.Record.ProblemId, p.Record.Prompt, p.Where);
            var label = VerifierLabel.From(p.Record.ProblemId, p.Record.Sample, StepVerifier.Verify(problem, p.Record.Output), taxonomy);
            var key = (label.Category, label.ErrorType, label.ErrorTypeV1);
            counts[key] = counts.GetValueOrDefault(key) + 1;
            return label;
        }));
        return new LabelCounts(total, counts);
    }
}
