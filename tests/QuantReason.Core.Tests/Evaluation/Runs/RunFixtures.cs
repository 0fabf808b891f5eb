using QuantReason.Evaluation.Runs;
using QuantReason.Data.Datasets;

namespace QuantReason.Tests.Evaluation.Runs;

/// <summary>Manifests, problems and a deterministic generator for run tests (no model is involved).</summary>
static class RunFixtures
{
    public static RunManifest Manifest(string runId, int samples = 1) => new()
    {
        RunId = runId,
        Model = new ModelInfo("toy", null, null, "llama", null),
        Dataset = new DatasetInfo("toy", null, null, 12),
        Prompt = new PromptInfo("zero-shot", null),
        Generation = new GenerationInfo(64, 0, 1, 0, 7, samples),
        Backend = new BackendInfo("in-process", null, 0, 0),
    };

    public static List<Problem> Problems(int n) =>
        Enumerable.Range(0, n).Select(i => new Problem($"p{i}", $"What is {i} + {i}?", $"{2 * i}", i % 2 == 0 ? "Algebra" : "Geometry", 1 + i % 5, null)).ToList();

    /// <summary>Answers correctly for problems whose number is not a multiple of 3; the seed changes the wrong answers.</summary>
    public sealed class ToyGenerator(Action<int>? onCall = null) : ITextGenerator
    {
        int _calls;
        public Task<GenerationResult> GenerateAsync(GenerationRequest request, CancellationToken cancel)
        {
            onCall?.Invoke(Interlocked.Increment(ref _calls));
            cancel.ThrowIfCancellationRequested();
            var n = int.Parse(request.Prompt.Split(' ')[2]);
            var answer = n % 3 == 0 ? $"{2 * n + 1 + request.Seed % 2}" : $"\\frac{{{4 * n}}}{{2}}";
            return Task.FromResult(new GenerationResult($"So the sum is $\\boxed{{{answer}}}$.", FinishReason.Stop, 12, 9));
        }
    }

    /// <summary>Runs <paramref name="act"/> once <paramref name="after"/> predictions of this pass are written.</summary>
    public sealed class AfterPredictions(int after, Action act) : IProgressSink
    {
        int _written;
        bool _started;
        public void Start(string task, double total) { }
        public void Advance(double units, string? status = null)
        {
            if (!_started) { _started = true; return; } // the first call reports what was already finished
            if (++_written == after) act();
        }
        public void Finish() { }
    }
}
