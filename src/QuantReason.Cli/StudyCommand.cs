using System.CommandLine;
using Spectre.Console;
using QuantReason.Jobs;

namespace QuantReason.Cli;

/// <summary>
/// <c>quantreason study --config FILE [--out DIR]</c>: the toolkit's main job — quantize one model every way a study
/// lists, evaluate each, label first errors (StepMath), and print the degradation table (Score, Δ, Δ%). Resumable.
/// </summary>
public static class StudyCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "study YAML (see data/studies/stepmath.yaml)", DefaultValueFactory = _ => "data/studies/stepmath.yaml" };
        var output = new Option<string>("--out") { Description = "folder of run directories (resumed when it exists)", DefaultValueFactory = _ => "data/runs/stepmath-demo" };
        var cmd = new Command("study", "Quantize a model every way a study lists, evaluate each configuration and label its errors.") { config, output };
        // Ctrl-C and SIGTERM arrive as System.CommandLine's cancellation token, as for eval and serve.
        cmd.SetAction((parse, cancel) => Task.Run(() => Cli.Guard(parse, () =>
        {
            var spec = StudySpec.Load(parse.GetValue(config)!);
            var outDir = parse.GetValue(output)!;
            try
            {
                var rows = SpectreProgress.RunAsync(p => StudyRunner.RunAsync(spec, outDir, p, w => Cli.Err.WriteLine($"warning: {w}"), cancel))
                    .GetAwaiter().GetResult();
                var console = ScoreTable.Console();
                // a pipe or log file gets the whole table on one line per configuration
                if (Console.IsOutputRedirected) console.Profile.Width = Math.Max(console.Profile.Width, 160);
                Write(console, rows);
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
}
