using QuantReason.Data.StepMath;
namespace QuantReason.Jobs;

/// <summary>
/// Finds the problem a prediction answered: by its id in a dataset file when one is given, else by regenerating the
/// StepMath id with the generator's seed (checked against the prompt when there is one), else by reading the problem from the prediction's prompt (its last non-empty
/// line, the convention of StepMath prompts).
/// </summary>
public sealed class ProblemResolver(string? datasetPath, int seed, StepMathOptions? options = null)
{
    readonly Dictionary<string, string>? _dataset = datasetPath is null ? null
        : StepMathJsonl.Read(datasetPath).ToDictionary(r => r.UniqueId, r => r.Problem);
    readonly StepMathGenerator _generator = new(seed, options);
    // Each level's stream stays open, so resolving ids in order costs one pass, not one pass per id.
    readonly Dictionary<(StepMathSplit, int), (List<StepMathProblem> Done, IEnumerator<StepMathItem> Stream)> _regenerated = [];

    public StepMathProblem Resolve(string problemId, string? prompt, string where)
    {
        if (_dataset is not null && _dataset.TryGetValue(problemId, out var text)) return StepMathProblem.Parse(text, where);
        if (StepMathItem.TryParseId(problemId, out var split, out var level, out var index))
        {
            if (!_regenerated.TryGetValue((split, level), out var stream))
                _regenerated[(split, level)] = stream = ([], _generator.GenerateLevel(split, level).GetEnumerator());
            while (stream.Done.Count <= index && stream.Stream.MoveNext()) stream.Done.Add(stream.Stream.Current.Problem);
            var problem = stream.Done[index];
            // a run made from another seed would be labelled against the wrong problems: refuse rather than mislabel
            if (!string.IsNullOrEmpty(prompt) && !prompt.Contains(problem.Text, StringComparison.Ordinal))
                throw new QuantReasonException(
                    $"'{problemId}' regenerates as '{problem.Text}' with seed {seed}, which the prompt does not contain; pass the run's --seed or --dataset", where);
            return problem;
        }
        var line = prompt?.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.Length > 0);
        if (line is null) throw new QuantReasonException($"problem '{problemId}' is not in the dataset and the prediction has no prompt", where);
        return StepMathProblem.Parse(line, where);
    }
}
