using Microsoft.FSharp.Collections;
using ReportOptions = QuantReason.Analysis.ReportOptions;
using Report = QuantReason.Analysis.Report;
using System.CommandLine;
using Spectre.Console;
using QuantReason.Jobs;

namespace QuantReason.Cli;

/// <summary>
/// <c>quantreason study --config FILE [--out DIR] [--restart | --update-reference]</c>: the toolkit's main job — quantize
/// one model every way a study lists, evaluate each, label first errors (StepMath), print the degradation table (Score,
/// Δ, Δ%) and how the predictions compare with the study's committed reference runs. Resumable. By default it computes
/// into the untracked runs/NAME, so a fresh clone computes everything and no committed file changes;
/// <c>--update-reference</c> regenerates the committed reference folder itself from scratch.
/// </summary>
public static class StudyCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "study YAML (see data/studies/stepmath.yaml)", DefaultValueFactory = _ => "data/studies/stepmath.yaml" };
        var output = new Option<string?>("--out") { Description = "folder of run directories, resumed when it exists (default runs/NAME, git-ignored)" };
        var restart = new Option<bool>("--restart") { Description = "discard the study's runs and quantized models in --out and compute them afresh" };
        var update = new Option<bool>("--update-reference") { Description = "regenerate the study's committed reference runs (its 'reference' folder) from scratch" };
        var cmd = new Command("study", "Quantize a model every way a study lists, evaluate each configuration, label its errors and compare with the reference runs.")
            { config, output, restart, update };
        // Ctrl-C and SIGTERM arrive as System.CommandLine's cancellation token, as for eval and serve.
        cmd.SetAction((parse, cancel) => Task.Run(() => Cli.Guard(parse, () =>
        {
            var spec = StudySpec.Load(parse.GetValue(config)!);
            var updating = parse.GetValue(update);
            if (updating && parse.GetValue(output) is not null)
                throw new QuantReasonException("--update-reference writes the study's reference folder; leave out --out", "--update-reference");
            var outDir = updating
                ? spec.Reference ?? throw new QuantReasonException("the study names no 'reference' folder to update", spec.Path)
                : parse.GetValue(output) ?? Path.Combine("runs", spec.Name);
            try
            {
                var rows = SpectreProgress.RunAsync(p => StudyRunner.RunAsync(spec, outDir, p, w => Cli.Err.WriteLine($"warning: {w}"), cancel,
                        spec.Reference, restart: updating || parse.GetValue(restart)))
                    .GetAwaiter().GetResult();
                var console = ScoreTable.Console();
                // a pipe or log file gets the whole table on one line per configuration
                if (Console.IsOutputRedirected) console.Profile.Width = Math.Max(console.Profile.Width, 160);
                Write(console, rows);
                if (spec.Reference is { } reference) WriteReference(console, rows, reference, updating);
                // the browsable report over the runs just written: static files, opened from disk
                var index = Report.write(new ReportOptions(ListModule.OfSeq([outDir]), Path.Combine(outDir, "report")));
                Cli.Out.WriteLine($"report: {Path.GetRelativePath(Directory.GetCurrentDirectory(), index)}");
                return 0;
            }
            catch (OperationCanceledException)
            {
                Cli.Err.WriteLine($"interrupted: finished runs and predictions are kept in {outDir}; rerun the same command to resume");
                return 130;
            }
        })));
        return cmd;
    }

    static void Write(IAnsiConsole console, IReadOnlyList<StudyRow> rows)
    {
        var fp = rows.FirstOrDefault(r => r.Quantization is null)?.Score.Overall.Accuracy;
        var levels = rows.SelectMany(r => r.Score.ByLevel.Select(c => c.Group)).Distinct().Order().ToList();
        var table = new Table().AddColumns(["configuration", "score", "Δ", "Δ%", .. levels.Select(l => l.Replace("Level ", "L")), "first errors"]);
        foreach (var r in rows)
        {
            var acc = r.Score.Overall.Accuracy;
            string delta = fp is { } f && r.Quantization is not null ? $"{100 * (f - acc):F2}" : "";
            string deltaPct = fp is { } g && g > 0 && r.Quantization is not null ? $"{100 * (g - acc) / g:F1}%" : "";
            var byLevel = levels.Select(l => r.Score.ByLevel.FirstOrDefault(c => c.Group == l) is { } c ? $"{100 * c.Accuracy:F1}" : "");
            var errors = r.Labels is { } lb
                ? string.Join(", ", lb.ByType.Where(kv => kv.Key.Type is not null).GroupBy(kv => kv.Key.Category ?? kv.Key.Type!)
                    .OrderByDescending(g => g.Sum(kv => kv.Value)).Select(g => $"{g.Key[..Math.Min(4, g.Key.Length)]} {g.Sum(kv => kv.Value)}"))
                : "";
            table.AddRow([Markup.Escape(r.Configuration), $"{100 * acc:F2}", delta, deltaPct, .. byLevel, Markup.Escape(errors)]);
        }
        console.Write(table);
        console.MarkupLineInterpolated($"accuracy in %, L1–L5 by level; Δ in points below full precision (positive = worse); first errors by category (exec = execution, conc = conceptual, meth = method, reas = reasoning, form = format); runs in {Path.GetDirectoryName(rows[0].RunDir)}");
    }

    /// <summary>Per configuration: predictions identical to the reference run's, differing, and present on one side only.</summary>
    static void WriteReference(IAnsiConsole console, IReadOnlyList<StudyRow> rows, string reference, bool updated)
    {
        var where = Path.GetRelativePath(Directory.GetCurrentDirectory(), reference);
        var table = new Table().AddColumns("configuration", "identical", "differing", "missing");
        foreach (var r in rows)
        {
            var m = r.Reference!;
            table.AddRow(Markup.Escape(r.Configuration), m.ReferenceFound ? $"{m.Identical}" : "no reference run", m.ReferenceFound ? $"{m.Differing}" : "",
                m.ReferenceFound ? $"{m.Missing}" : "");
        }
        console.Write(table);
        var agreeing = rows.Count(r => r.Reference!.Agrees);
        var verb = updated ? "the regenerated runs against the previous reference" : $"predictions against the committed reference runs in {where}";
        console.MarkupLineInterpolated(
            $"{verb}: {agreeing} of {rows.Count} configurations identical prediction for prediction (missing = on one side only)");
    }
}
