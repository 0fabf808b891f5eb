using System.Diagnostics;
using QuantReason.Evaluation.Datasets;
using QuantReason.Evaluation.Equivalence;

namespace QuantReason.Evaluation.Runs;

/// <summary>
/// Generates, extracts and grades every (problem, sample) not yet in the run directory, in dataset order, appending each
/// prediction as it completes. Cancelling marks the run interrupted; rerunning over the same directory resumes it.
/// </summary>
public static class EvaluationRunner
{
    public static async Task<RunCounts> RunAsync(
        IReadOnlyList<Problem> problems,
        Func<Problem, string> renderPrompt,
        ITextGenerator generator,
        RunDirectory run,
        IProgressSink progress,
        CancellationToken cancel = default)
    {
        var g = run.Manifest.Generation;
        if (g.Samples < 1) throw new QuantReasonException($"samples must be at least 1, got {g.Samples}", run.Path);
        var total = problems.Count * g.Samples;
        progress.Start($"eval {run.Manifest.RunId}", total);
        progress.Advance(run.FinishedCount);
        try
        {
            foreach (var problem in problems)
                for (var sample = 0; sample < g.Samples; sample++)
                {
                    if (run.IsFinished(problem.Id, sample)) continue;
                    cancel.ThrowIfCancellationRequested();
                    var prompt = renderPrompt(problem);
                    var request = new GenerationRequest(prompt, g.MaxNewTokens, g.Temperature, g.TopP, g.TopK, g.Seed + sample);
                    var clock = Stopwatch.StartNew();
                    GenerationResult result;
                    try { result = await generator.GenerateAsync(request, cancel); }
                    catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
                    {
                        result = new GenerationResult($"[generation failed: {e.Message}]", FinishReason.Error, 0, 0);
                    }
                    var extraction = result.FinishReason == FinishReason.Error ? Extraction.None : AnswerExtractor.Extract(result.Output);
                    var verdict = Grader.Equivalent(problem.Gold, extraction.Answer);
                    run.Append(new PredictionRecord
                    {
                        ProblemId = problem.Id, Sample = sample, Subject = problem.Subject, Level = problem.Level,
                        Prompt = prompt, Output = result.Output, FinishReason = result.FinishReason,
                        Extracted = extraction.Answer, Rule = extraction.Rule, Gold = problem.Gold,
                        Correct = verdict.Equivalent, DecidedBy = verdict.DecidedBy,
                        TokensIn = result.TokensIn, TokensOut = result.TokensOut, LatencyMs = clock.Elapsed.TotalMilliseconds,
                    });
                    progress.Advance(1, $"accuracy {(double)run.CorrectCount / run.FinishedCount:P1}");
                    run.Update(m => m with { Counts = Counts(run, problems.Count) });
                }
        }
        catch (OperationCanceledException)
        {
            run.Update(m => m with { Status = RunStatus.Interrupted, Counts = Counts(run, problems.Count) });
            progress.Finish();
            throw;
        }
        run.Update(m => m with { Status = RunStatus.Complete, Counts = Counts(run, problems.Count) });
        progress.Finish();
        return run.Manifest.Counts;
    }

    static RunCounts Counts(RunDirectory run, int problems) =>
        new(problems, run.FinishedCount, run.CorrectCount, run.ErrorCount);
}
