using System.Diagnostics;
using QuantReason.Evaluation.Equivalence;
using QuantReason.Data.Datasets;
using QuantReason.Data.Prompts;
using QuantReason.Evaluation;
using QuantReason.Evaluation.Runs;

namespace QuantReason.Jobs;

/// <summary>
/// Generates, extracts and grades every (problem, sample) not yet in the run directory, appending each prediction in
/// dataset order as it completes. Up to <c>concurrency</c> requests are in flight at once (a batching backend runs them
/// as one batch); results are still written in order, so the file never depends on which request finished first.
/// Cancelling marks the run interrupted; a request the backend could not answer is recorded as failed, not as a
/// prediction, and the run ends incomplete with an error; rerunning over the same directory resumes either.
/// </summary>
public static class EvaluationRunner
{
    /// <summary>Evaluates with a prompt file: chat prompts go to the backend as messages, completion prompts as text.</summary>
    public static Task<RunCounts> RunAsync(
        IReadOnlyList<Problem> problems,
        PromptTemplate prompt,
        ITextGenerator generator,
        RunDirectory run,
        IProgressSink progress,
        int concurrency,
        CancellationToken cancel = default) =>
        RunAsync(problems, (p, g, sample) => Request(prompt, p.Text, g, sample), generator, run, progress, concurrency, cancel);

    /// <summary>Evaluates with a plain prompt function, one request at a time.</summary>
    public static Task<RunCounts> RunAsync(
        IReadOnlyList<Problem> problems,
        Func<Problem, string> renderPrompt,
        ITextGenerator generator,
        RunDirectory run,
        IProgressSink progress,
        CancellationToken cancel = default) =>
        RunAsync(problems, (p, g, sample) => new GenerationRequest(renderPrompt(p), g.MaxNewTokens, g.Temperature, g.TopP, g.TopK, g.Seed + sample),
            generator, run, progress, 1, cancel);

    /// <summary>The request for one sample of a problem; sample s draws with seed + s, so samples differ but rerun alike.</summary>
    public static GenerationRequest Request(PromptTemplate prompt, string problem, GenerationInfo g, int sample) =>
        prompt.Kind == PromptKind.Chat
            ? new GenerationRequest(PlainText(prompt.Messages(problem)), g.MaxNewTokens, g.Temperature, g.TopP, g.TopK, g.Seed + sample)
            {
                Messages = prompt.Messages(problem), Stop = prompt.Stop,
            }
            : new GenerationRequest(prompt.Completion(problem), g.MaxNewTokens, g.Temperature, g.TopP, g.TopK, g.Seed + sample)
            {
                Stop = prompt.Stop,
            };

    /// <summary>A readable record of a chat prompt for backends that render the template out of sight (endpoints).</summary>
    static string PlainText(IReadOnlyList<ChatMessage> messages) =>
        string.Join("\n\n", messages.Select(m => $"<{m.Role}>\n{m.Content}"));

    sealed record InFlight(Problem Problem, int Sample, string Prompt, Task<(GenerationResult Result, double Ms)> Work);

    static async Task<RunCounts> RunAsync(
        IReadOnlyList<Problem> problems,
        Func<Problem, GenerationInfo, int, GenerationRequest> request,
        ITextGenerator generator,
        RunDirectory run,
        IProgressSink progress,
        int concurrency,
        CancellationToken cancel)
    {
        var g = run.Manifest.Generation;
        if (g.Samples < 1) throw new QuantReasonException($"samples must be at least 1, got {g.Samples}", run.Path);
        if (concurrency < 1) throw new QuantReasonException($"concurrency must be at least 1, got {concurrency}", run.Path);
        var retriesBefore = run.Manifest.Backend.Retries;
        var timeoutsBefore = run.Manifest.Backend.Timeouts;
        RunManifest WithCounts(RunManifest m, RunStatus? status = null)
        {
            m = m with { Counts = run.Counts(problems.Count), Status = status ?? m.Status };
            return generator is IRetryCounts c
                ? m with { Backend = m.Backend with { Retries = retriesBefore + c.Retries, Timeouts = timeoutsBefore + c.Timeouts } }
                : m;
        }

        var todo = problems.SelectMany(p => Enumerable.Range(0, g.Samples).Select(s => (Problem: p, Sample: s)))
            .Where(x => !run.IsFinished(x.Problem.Id, x.Sample)).ToList();
        progress.Start($"eval {run.Manifest.RunId}", problems.Count * g.Samples);
        progress.Advance(run.FinishedCount);
        var inFlight = new Queue<InFlight>();
        var next = 0;
        try
        {
            while (next < todo.Count || inFlight.Count > 0)
            {
                while (inFlight.Count < concurrency && next < todo.Count)
                {
                    cancel.ThrowIfCancellationRequested();
                    var (problem, sample) = todo[next++];
                    var r = request(problem, g, sample);
                    inFlight.Enqueue(new InFlight(problem, sample, r.Prompt, Generate(generator, r, cancel)));
                }
                var head = inFlight.Dequeue();
                var (result, ms) = await head.Work;
                if (result.FinishReason == FinishReason.Error)
                    // a failed request is no answer: kept out of the predictions and the score, retried by a rerun
                    run.Fail(head.Problem.Id, head.Sample, result.Output);
                else
                {
                    var graded = AnswerGrading.Grade(head.Problem.Gold, result.Output);
                    var (extraction, verdict) = (graded.Predicted, graded.Verdict);
                    run.Append(new PredictionRecord
                    {
                        ProblemId = head.Problem.Id, Sample = head.Sample, Subject = head.Problem.Subject, Level = head.Problem.Level,
                        Prompt = result.RenderedPrompt ?? head.Prompt, Output = result.Output, FinishReason = result.FinishReason,
                        Extracted = extraction.Answer, Rule = extraction.Rule, Gold = head.Problem.Gold,
                        Correct = verdict.Equivalent, DecidedBy = verdict.DecidedBy,
                        TokensIn = result.TokensIn, TokensOut = result.TokensOut, LatencyMs = ms,
                    });
                }
                var answered = run.FinishedCount == 0 ? "" : $"accuracy {(double)run.CorrectCount / run.FinishedCount:P1}";
                progress.Advance(1, run.ErrorCount == 0 ? answered : $"{answered}, {run.ErrorCount} failed");
                run.Update(m => WithCounts(m));
            }
        }
        catch (OperationCanceledException)
        {
            run.Update(m => WithCounts(m, RunStatus.Interrupted));
            progress.Finish();
            throw;
        }
        progress.Finish();
        if (run.ErrorCount > 0)
        {
            run.Update(m => WithCounts(m, RunStatus.Incomplete));
            throw new QuantReasonException(
                $"{run.ErrorCount} of {todo.Count} requests failed and are not scored (first: {run.Failures[0]}); " +
                $"{run.FinishedCount} predictions are saved, rerun the same command to retry the rest", run.Path);
        }
        run.Update(m => WithCounts(m, RunStatus.Complete));
        return run.Manifest.Counts;
    }

    /// <summary>One request; a backend failure becomes an error result carrying its message, only the run's own cancellation propagates.</summary>
    static async Task<(GenerationResult, double)> Generate(ITextGenerator generator, GenerationRequest request, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        GenerationResult result;
        try { result = await generator.GenerateAsync(request, cancel); }
        catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
        {
            result = new GenerationResult(e.Message, FinishReason.Error, 0, 0);
        }
        return (result, clock.Elapsed.TotalMilliseconds);
    }
}
