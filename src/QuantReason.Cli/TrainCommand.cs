using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using QuantReason.Training;
using Spectre.Console;
using QuantReason.Jobs;

namespace QuantReason.Cli;

/// <summary>
/// <c>quantreason train --config FILE [--out DIR]</c>: trains as the YAML config says, with a progress bar (loss,
/// tokens/s, ETA), a checkpoint every N steps and on Ctrl-C, resuming from it on a rerun; then exports the Hugging Face
/// checkpoint, evaluates it when the config has an eval section, and writes training.md.
/// </summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo>("--config") { Description = "training config (YAML), e.g. data/models/stepmath-ref/train.yaml", Required = true };
        var output = new Option<string?>("--out") { Description = "output folder (default: the config's output_dir)" };
        var noEval = new Option<bool>("--no-eval") { Description = "skip the evaluation at the end" };
        var cmd = new Command("train", "Train a model from a YAML config (resumable; writes a Hugging Face checkpoint).") { config, output, noEval };
        cmd.SetAction(p => Cli.Guard(p, () => Run(p.GetValue(config)!.FullName, p.GetValue(output), p.GetValue(noEval))));
        return cmd;
    }

    static int Run(string configPath, string? output, bool noEval)
    {
        var cfg = TrainConfig.Load(configPath, output);
        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            // The first Ctrl-C finishes the current step and checkpoints; a second one ends the process at once.
            if (cts.IsCancellationRequested) return;
            e.Cancel = true;
            cts.Cancel();
            Cli.Err.WriteLine("stopping after this step; a checkpoint is written (Ctrl-C again to abort)");
        };
        System.Console.CancelKeyPress += onCancel;
        try
        {
            if (cfg.Grpo is not null) return RunGrpo(cfg, noEval, cts.Token);
            var run = TrainingRun.Prepare(cfg, line => Cli.Out.WriteLine(line));
            var o = run.Trainer.Options;
            Cli.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"model: {run.Trainer.Model.Config.ParameterCount:N0} parameters; {o.Steps} steps × {o.BatchSize} sequences; {Kernels.KernelThreads.Count} threads; output {cfg.OutputDir}"));
            var clock = Stopwatch.StartNew();
            WithProgress(sink => run.Train(sink, cancel: cts.Token));
            if (!run.Finished)
            {
                Cli.Out.WriteLine($"stopped at step {run.Trainer.StepsDone} of {o.Steps}; checkpoint in {run.CheckpointDir}; rerun the same command to resume");
                return 130;
            }
            run.Export();
            Cli.Out.WriteLine($"trained {o.Steps} steps ({clock.Elapsed.TotalMinutes:F1} min this session); wrote the Hugging Face checkpoint to {cfg.OutputDir}");
            Evaluation.ScoreReport? score = null;
            if (cfg.Eval is not null && !noEval)
            {
                WithProgress(sink => score = run.EvaluateAsync(sink, cts.Token).GetAwaiter().GetResult());
                var table = new Table().AddColumns("level", "problems", "correct", "accuracy");
                foreach (var c in score!.ByLevel.Append(score.Overall))
                    table.AddRow(Markup.Escape(c.Group), $"{c.N}", $"{c.Correct}", c.Accuracy.ToString("P1", CultureInfo.InvariantCulture));
                Terminal().Write(table);
            }
            run.WriteSummary(score);
            Cli.Out.WriteLine($"wrote {Path.Combine(cfg.OutputDir, "training.md")}");
            return 0;
        }
        finally { System.Console.CancelKeyPress -= onCancel; }
    }

    /// <summary>RL after a cold start: GRPO steps, then the checkpoint, greedy accuracy before and after, training.md.</summary>
    static int RunGrpo(TrainConfig cfg, bool noEval, CancellationToken cancel)
    {
        var run = GrpoRun.Prepare(cfg, line => Cli.Out.WriteLine(line));
        var clock = Stopwatch.StartNew();
        WithProgress(sink => run.Train(sink, cancel: cancel));
        if (run.Decode16 is { } d)
            Cli.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"batch-{GrpoRun.ReferenceBatch} greedy decode of the policy: {d.TokensPerSecond:F0} tokens/s"));
        if (!run.Finished)
        {
            Cli.Out.WriteLine($"stopped at step {run.Trainer.StepsDone} of {run.Trainer.Options.Steps}; checkpoint in {run.CheckpointDir}; rerun the same command to resume");
            return 130;
        }
        run.Export();
        Cli.Out.WriteLine($"trained {run.Trainer.Options.Steps} GRPO steps ({clock.Elapsed.TotalMinutes:F1} min this session); wrote the policy to {cfg.OutputDir}");
        GrpoAccuracy? before = null, after = null;
        if (cfg.Eval is not null && !noEval)
        {
            before = run.GreedyAccuracy(run.ColdStart());
            after = run.GreedyAccuracy(run.Trainer.ExportPolicy());
            Cli.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"greedy accuracy: cold start {before.Accuracy:P1}, after GRPO {after.Accuracy:P1} ({after.Total} problems)"));
        }
        run.WriteSummary(before, after);
        Cli.Out.WriteLine($"wrote {Path.Combine(cfg.OutputDir, "training.md")}");
        return 0;
    }

    static IAnsiConsole Terminal() => AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Cli.Out) });

    /// <summary>A Spectre progress bar on a terminal; plain lines (about every 30 s) when output goes to a file or pipe.</summary>
    static void WithProgress(Action<IProgressSink> work)
    {
        var console = Terminal();
        if (!console.Profile.Capabilities.Interactive)
        {
            work(new LineProgress(Cli.Out));
            return;
        }
        console.Progress()
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx => work(new SpectreProgress(ctx)));
    }

    sealed class LineProgress(TextWriter output) : IProgressSink
    {
        readonly Stopwatch _clock = new();
        double _total, _done, _startDone;
        TimeSpan _lastPrint;
        string _name = "";

        public void Start(string task, double total) { _name = task; _total = total; _done = 0; _startDone = -1; _clock.Restart(); _lastPrint = TimeSpan.Zero; }

        public void Advance(double units, string? status = null)
        {
            _done += units;
            if (_startDone < 0) { _startDone = _done; return; } // the first advance replays work done before a resume
            if (_clock.Elapsed - _lastPrint < TimeSpan.FromSeconds(30) && _done < _total) return;
            _lastPrint = _clock.Elapsed;
            double rate = (_done - _startDone) / Math.Max(1e-9, _clock.Elapsed.TotalSeconds);
            var eta = rate > 0 ? TimeSpan.FromSeconds((_total - _done) / rate) : TimeSpan.Zero;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{_name} {_done:F0}/{_total:F0}  {status}  elapsed {_clock.Elapsed:hh\\:mm\\:ss}  eta {eta:hh\\:mm\\:ss}"));
            output.Flush();
        }

        public void Finish() { }
    }
}
