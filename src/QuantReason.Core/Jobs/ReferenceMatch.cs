using QuantReason.Evaluation.Runs;

namespace QuantReason.Jobs;

/// <summary>
/// How one configuration's predictions compare with the committed reference run of the same id: predictions of the
/// same (problem, sample) are <see cref="Identical"/> when prompt, output, finish reason and verdict all agree;
/// <see cref="Missing"/> counts predictions only one side has. <see cref="ReferenceFound"/> is false where the
/// reference holds no such run.
/// </summary>
public sealed record ReferenceMatch(bool ReferenceFound, int Identical, int Differing, int Missing)
{
    public static readonly ReferenceMatch NoReference = new(false, 0, 0, 0);

    public bool Agrees => ReferenceFound && Differing == 0 && Missing == 0;

    /// <summary>Reads a reference run's predictions, or null where the run (or its predictions) does not exist.</summary>
    public static IReadOnlyList<PredictionRecord>? ReadReference(string referenceDir, string runId)
    {
        var path = Path.Combine(referenceDir, runId, RunDirectory.PredictionsFile);
        return File.Exists(path) ? RunDirectory.ReadPredictions(path) : null;
    }

    public static ReferenceMatch Of(IReadOnlyList<PredictionRecord>? reference, IReadOnlyList<PredictionRecord> fresh)
    {
        if (reference is null) return NoReference;
        var byKey = new Dictionary<(string, int), PredictionRecord>();
        foreach (var r in reference) byKey[(r.ProblemId, r.Sample)] = r;
        int identical = 0, differing = 0, matched = 0;
        foreach (var p in fresh)
        {
            if (!byKey.TryGetValue((p.ProblemId, p.Sample), out var r)) continue;
            matched++;
            if (r.Prompt == p.Prompt && r.Output == p.Output && r.FinishReason == p.FinishReason && r.Correct == p.Correct) identical++;
            else differing++;
        }
        return new ReferenceMatch(true, identical, differing, fresh.Count - matched + (byKey.Count - matched));
    }
}
