using QuantReason.Evaluation.Runs;
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using QuantReason.Judging;
using QuantReason.Data.StepMath;
using QuantReason.Jobs;
using Spectre.Console;

namespace QuantReason.Cli;

/// <summary>
/// <c>quantreason judge label|score|review|stats</c>: first-error labels for any model's outputs from a judge panel or
/// the step checker, scored against ProcessBench's human labels or the StepMath verifier, with human review.
/// </summary>
public static class JudgeCommand
{
    const string StepCheckerPanel = "step-checker";

    public static Command Create()
    {
        var command = new Command("judge", "Label first errors with a judge panel or the step checker; score labellers; review cases.");
        command.Subcommands.Add(Label());
        command.Subcommands.Add(Score());
        command.Subcommands.Add(Review());
        command.Subcommands.Add(Stats());
        return command;
    }

    static readonly Option<string> PanelOption = new("--panel") { Description = "panel YAML file, or 'step-checker' for the model-free checker alone" };
    static readonly Option<int> Parallel = new("--parallel") { Description = "cases judged at once (each judge's endpoint has its own concurrency)", DefaultValueFactory = _ => 16 };

    static Command Label()
    {
        var run = new Option<DirectoryInfo>("--run") { Description = "run directory (manifest.json, predictions.jsonl)", Required = true };
        var all = new Option<bool>("--all") { Description = "label every prediction, not only the failures" };
        var output = new Option<FileInfo?>("--out") { Description = "labels file (default: RUN/labels.jsonl; review queue beside it)" };
        var cmd = new Command("label", "Label the first error of a run's failures; resumable, one flushed line per label.") { run, PanelOption, all, output, Parallel };
        cmd.SetAction(parse => Cli.Guard(parse, () =>
        {
            var dir = parse.GetValue(run)!.FullName;
            var cases = JudgeCase.FromRun(dir, failuresOnly: !parse.GetValue(all));
            var target = parse.GetValue(output)?.FullName ?? Path.Combine(dir, "labels.jsonl");
            return Judge(cases, PanelFrom(parse), target, parse.GetValue(Parallel));
        }));
        return cmd;
    }

    static Command Score()
    {
        var labels = new Option<FileInfo?>("--labels") { Description = "labels.jsonl to score" };
        var against = new Option<string?>("--against") { Description = "processbench[:split] or verifier" };
        var processBench = new Option<FileInfo?>("--processbench") { Description = "a ProcessBench-format file to label and score (with --panel)" };
        var pbDir = new Option<DirectoryInfo?>("--processbench-dir") { Description = "folder of ProcessBench files (default: $QUANTREASON_SHARED/data/processbench or ../shared/data/processbench)" };
        var reference = new Option<FileInfo?>("--reference") { Description = "verifier labels (default: the verifier lines of --labels)" };
        var output = new Option<FileInfo?>("--out") { Description = "labels file for --processbench (default: FILE-NAME.PANEL.labels.jsonl here)" };
        var json = new Option<bool>("--json") { Description = "print one JSON object" };
        var cmd = new Command("score", "Score a labeller against ProcessBench's human labels (its F1) or the StepMath verifier.")
            { labels, against, processBench, pbDir, reference, PanelOption, output, json, Parallel };
        cmd.SetAction(parse => Cli.Guard(parse, () =>
        {
            var asJson = parse.GetValue(json);
            if (parse.GetValue(processBench) is { } pb)
            {
                if (parse.GetValue(PanelOption) is null) throw new QuantReasonException("--processbench needs --panel PANEL|step-checker", "--panel");
                var items = ProcessBenchItem.Load(pb.FullName);
                var panel = PanelFrom(parse);
                var target = parse.GetValue(output)?.FullName ?? Path.GetFullPath($"{Path.GetFileNameWithoutExtension(pb.Name)}.{panel.Name}.labels.jsonl");
                var code = Judge(items.Select(JudgeCase.Of).ToList(), panel, target, parse.GetValue(Parallel), quiet: asJson);
                var written = RunDirectory.ReadLabelFile(target).Where(l => l.Labeller == panel.Name).ToList();
                WriteProcessBench(ProcessBenchScore.Of(items, Predictions(written, panel.Name)), asJson);
                return code;
            }
            var file = parse.GetValue(labels)?.FullName ?? throw new QuantReasonException("give --labels FILE --against …, or --processbench FILE --panel …", "score");
            var what = parse.GetValue(against) ?? throw new QuantReasonException("--against must be processbench[:split] or verifier", "--against");
            var all = RunDirectory.ReadLabelFile(file).ToList();
            if (what == "verifier")
            {
                var refs = parse.GetValue(reference) is { } r ? RunDirectory.ReadLabelFile(r.FullName).ToList() : all;
                var verifier = refs.Where(l => l.Labeller == VerifierLabel.VerifierLabeller).ToList();
                if (verifier.Count == 0) throw new QuantReasonException("no verifier labels to score against (give --reference RUN/labels.jsonl)", file);
                var reports = all.Where(l => l.Labeller != VerifierLabel.VerifierLabeller).GroupBy(l => l.Labeller)
                    .Select(g => (g.Key, VerifierAgreement.Of(verifier, g))).ToList();
                if (reports.Count == 0 || reports.All(x => x.Item2.Compared == 0))
                    throw new QuantReasonException("these labels match none of the verifier's solutions (labels of another run?)", file);
                WriteVerifier(reports, asJson);
                return 0;
            }
            if (what == "processbench" || what.StartsWith("processbench:", StringComparison.Ordinal))
            {
                var split = what.Length > "processbench".Length ? what["processbench:".Length..] : null;
                var items = LoadProcessBench(parse.GetValue(pbDir)?.FullName, split);
                var ids = items.Select(i => i.Id).ToHashSet();
                // a split none of the labels touch was not labelled at all: leave it out rather than score it zero
                var touched = all.Where(l => ids.Contains(l.ProblemId)).Select(l => l.ProblemId).ToHashSet();
                var splits = items.Where(i => touched.Contains(i.Id)).Select(i => i.Split).ToHashSet();
                items = items.Where(i => splits.Contains(i.Split)).ToList();
                var labellers = all.Where(l => ids.Contains(l.ProblemId)).Select(l => l.Labeller).Distinct().ToList();
                if (labellers.Count == 0) throw new QuantReasonException($"these labels match none of ProcessBench's {items.Count} solutions ({what})", file);
                foreach (var name in labellers)
                {
                    if (!asJson) Cli.Out.WriteLine($"labeller {name}:");
                    WriteProcessBench(ProcessBenchScore.Of(items, Predictions(all, name)), asJson);
                }
                return 0;
            }
            throw new QuantReasonException($"--against must be processbench[:split] or verifier, got '{what}'", "--against");
        }));
        return cmd;
    }

    static Command Review()
    {
        var run = new Option<DirectoryInfo?>("--run") { Description = "run directory holding labels.jsonl and review.jsonl" };
        var labels = new Option<FileInfo?>("--labels") { Description = "labels file (its review.jsonl beside it)" };
        var cmd = new Command("review", "Show each queued case (problem, numbered steps, every judge's label) and record a human verdict.") { run, labels };
        cmd.SetAction(parse => Cli.Guard(parse, () =>
        {
            var file = LabelsPath(parse.GetValue(run), parse.GetValue(labels));
            var queue = ReviewQueue.Read(Path.Combine(Path.GetDirectoryName(file)!, ReviewQueue.FileName));
            if (queue.Count == 0) { Cli.Out.WriteLine("review queue is empty"); return 0; }
            using var writer = LabelsWriter.Open(file);
            var console = Console();
            var todo = queue.Where(i => !writer.Contains(i.ProblemId, i.Sample, JudgePanel.Human)).ToList();
            int recorded = 0;
            foreach (var (item, n) in todo.Select((x, i) => (x, i + 1)))
            {
                Show(console, item, n, todo.Count);
                var verdict = Ask(item);
                if (verdict is null) break;
                var (step, type, note) = verdict.Value;
                if (step == int.MinValue) continue;
                writer.Append(ErrorLabels.Of(item.ProblemId, item.Sample, JudgePanel.Human, item.Steps, step, type, note, 1.0, Taxonomy.Default));
                recorded++;
            }
            Cli.Out.WriteLine($"{recorded} verdicts recorded; {todo.Count - recorded} of {queue.Count} queued cases still without one");
            return 0;
        }));
        return cmd;
    }

    static Command Stats()
    {
        var run = new Option<DirectoryInfo?>("--run") { Description = "run directory holding labels.jsonl" };
        var labels = new Option<FileInfo?>("--labels") { Description = "labels file" };
        var json = new Option<bool>("--json") { Description = "print one JSON object" };
        var cmd = new Command("stats", "Agreement: Fleiss' κ across judges, Cohen's κ of the panel against humans, each judge's accuracy.") { run, labels, json };
        cmd.SetAction(parse => Cli.Guard(parse, () =>
        {
            var file = LabelsPath(parse.GetValue(run), parse.GetValue(labels));
            var all = RunDirectory.ReadLabelFile(file).ToList();
            var panelLabels = all.Where(l => l.Votes is not null).ToList();
            if (panelLabels.Count == 0) throw new QuantReasonException("no panel labels (lines with votes) in this file", file);
            foreach (var (panel, group) in panelLabels.GroupBy(l => l.Labeller).Select(g => (g.Key, g.ToList())))
            {
                // the judges that voted on every case; the baseline votes only on conflicts
                var judges = group.Select(l => l.Votes!.Select(v => v.Judge).ToHashSet()).Aggregate((a, b) => { a.IntersectWith(b); return a; }).Order(StringComparer.Ordinal).ToList();
                var report = Agreement.Of(all, panel, judges);
                if (parse.GetValue(json)) { Cli.Out.WriteLine(JsonSerializer.Serialize(new { panel, fleiss_kappa = Num(report.FleissKappa), fleiss_subjects = report.FleissSubjects, cohen_kappa = Num(report.CohenKappa), human_verdicts = report.CohenN, panel_accuracy_vs_human = Num(report.PanelVsHuman), judges = report.Judges.Select(j => new { judge = j.Judge, vs_panel = Num(j.VsPanel), vs_panel_n = j.VsPanelN, vs_human = Num(j.VsHuman), vs_human_n = j.VsHumanN }) })); continue; }
                Cli.Out.WriteLine($"panel {panel}: Fleiss' κ {F(report.FleissKappa)} over {report.FleissSubjects} cases; Cohen's κ panel vs human {F(report.CohenKappa)} over {report.CohenN} verdicts (panel right on {P(report.PanelVsHuman)})");
                var table = new Table().AddColumns("judge", "vs panel", "n", "vs human", "n");
                foreach (var j in report.Judges) table.AddRow(j.Judge, P(j.VsPanel), $"{j.VsPanelN}", P(j.VsHuman), $"{j.VsHumanN}");
                Console().Write(table);
            }
            return 0;
        }));
        return cmd;
    }

    static double? Num(double x) => double.IsNaN(x) ? null : Math.Round(x, 4);
    static string F(double x) => double.IsNaN(x) ? "n/a" : x.ToString("F3", CultureInfo.InvariantCulture);
    static string P(double x) => double.IsNaN(x) ? "n/a" : (100 * x).ToString("F1", CultureInfo.InvariantCulture) + " %";

    static string LabelsPath(DirectoryInfo? run, FileInfo? labels)
    {
        if (labels is not null) return labels.FullName;
        if (run is null) throw new QuantReasonException("give --run DIR or --labels FILE", "judge");
        if (!run.Exists) throw new QuantReasonException("run directory does not exist", run.FullName);
        return Path.Combine(run.FullName, "labels.jsonl");
    }

    static JudgePanel PanelFrom(ParseResult parse)
    {
        var p = parse.GetValue(PanelOption) ?? throw new QuantReasonException("give --panel FILE or --panel step-checker", "--panel");
        var config = p == StepCheckerPanel ? PanelConfig.StepCheckerOnly() : PanelConfig.Load(p);
        return JudgePanel.Create(config, Taxonomy.Default);
    }

    static int Judge(IReadOnlyList<JudgeCase> cases, JudgePanel panel, string target, int parallel, bool quiet = false)
    {
        using (panel)
        using (var writer = LabelsWriter.Open(target))
        {
            if (writer.TornBytes > 0) Cli.Err.WriteLine($"warning: cut a torn last line ({writer.TornBytes} bytes) from {target}");
            var review = new ReviewQueue(Path.Combine(Path.GetDirectoryName(target)!, ReviewQueue.FileName));
            using var cancel = new CancellationTokenSource();
            ConsoleCancelEventHandler stop = (_, e) => { e.Cancel = true; cancel.Cancel(); };
            System.Console.CancelKeyPress += stop;
            try
            {
                var s = JudgingRun.RunAsync(panel, cases, writer, panel.ReviewSample > 0 || panel.Judges.Count > 1 ? review : null, parallel, null, cancel.Token).GetAwaiter().GetResult();
                if (quiet) return 0;
                Cli.Out.WriteLine($"{s.Labelled} labelled, {s.AlreadyLabelled} already on file, {s.Unlabelled} left unlabelled (every judge abstained), " +
                                  $"{s.Conflicts} conflicts, {s.Queued} queued for review; {s.Elapsed.TotalSeconds:F1} s → {target}");
                var table = new Table().AddColumns("judge", "calls", "tokens in", "tokens out", "malformed", "abstained");
                foreach (var (name, u) in s.Usage) table.AddRow(name, $"{u.Calls}", $"{u.TokensIn}", $"{u.TokensOut}", $"{u.Malformed}", $"{u.Abstentions}");
                Console().Write(table);
                return s.Unlabelled > 0 ? 2 : 0;
            }
            finally { System.Console.CancelKeyPress -= stop; }
        }
    }

    static Func<ProcessBenchItem, int?> Predictions(IEnumerable<LabelRecord> labels, string labeller)
    {
        var map = new Dictionary<string, int>();
        foreach (var l in labels.Where(l => l.Labeller == labeller)) map[l.ProblemId] = l.FirstErrorStep;
        return i => map.TryGetValue(i.Id, out var s) ? s : null;
    }

    static IReadOnlyList<ProcessBenchItem> LoadProcessBench(string? dir, string? split)
    {
        dir ??= DefaultProcessBenchDir() ?? throw new QuantReasonException("ProcessBench folder not found; give --processbench-dir (or `quantreason data fetch processbench`)", "--processbench-dir");
        if (!Directory.Exists(dir)) throw new QuantReasonException("ProcessBench folder not found", dir);
        var files = Directory.GetFiles(dir, "*.json").Order(StringComparer.Ordinal).Where(f => split is null || Path.GetFileNameWithoutExtension(f) == split).ToList();
        if (files.Count == 0) throw new QuantReasonException(split is null ? "no ProcessBench files (*.json)" : $"no ProcessBench split '{split}'", dir);
        return files.SelectMany(ProcessBenchItem.Load).ToList();
    }

    static string? DefaultProcessBenchDir()
    {
        var shared = Environment.GetEnvironmentVariable("QUANTREASON_SHARED") is { Length: > 0 } s ? s : Path.GetFullPath(Path.Combine("..", "shared"));
        var dir = Path.Combine(shared, "data", "processbench");
        return Directory.Exists(dir) ? dir : null;
    }

    static void WriteProcessBench(IReadOnlyList<ProcessBenchScore> scores, bool json)
    {
        if (json)
        {
            object Obj(ProcessBenchScore s) => new { split = s.Split, f1 = Math.Round(s.F1, 2), error_acc = Math.Round(s.ErrorAccuracy, 2), correct_acc = Math.Round(s.CorrectAccuracy, 2), erroneous = s.Erroneous, correct = s.Correct };
            Cli.Out.WriteLine(scores.Count == 1 ? JsonSerializer.Serialize(Obj(scores[0]))
                : JsonSerializer.Serialize(new { f1 = Math.Round(scores.Average(s => s.F1), 2), splits = scores.Select(Obj) }));
            return;
        }
        var table = new Table().AddColumns("split", "error acc", "correct acc", "F1", "erroneous", "correct");
        foreach (var s in scores) table.AddRow(s.Split, $"{s.ErrorAccuracy:F1}", $"{s.CorrectAccuracy:F1}", $"{s.F1:F1}", $"{s.Erroneous}", $"{s.Correct}");
        Console().Write(table);
    }

    static void WriteVerifier(IReadOnlyList<(string Labeller, VerifierAgreement A)> reports, bool json)
    {
        foreach (var (name, a) in reports)
        {
            if (json)
            {
                Cli.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    labeller = name, compared = a.Compared, missing = a.Missing, step_accuracy = Math.Round(a.StepAccuracy, 4), type_accuracy = Math.Round(a.TypeAccuracy, 4),
                    computational = a.Computational, computational_found = a.ComputationalFound, computational_recall = Math.Round(a.ComputationalRecall, 4),
                    computational_precision = Math.Round(a.ComputationalPrecision, 4),
                    confusion = VerifierAgreement.Classes.ToDictionary(r => r, r => VerifierAgreement.Classes.ToDictionary(c => c, c => a.Confusion.GetValueOrDefault((r, c)))),
                }));
                continue;
            }
            Cli.Out.WriteLine($"labeller {name}: {a.Compared} solutions ({a.Missing} unlabelled); step accuracy {a.StepAccuracy:P1}, type accuracy {a.TypeAccuracy:P1} " +
                              $"over {a.Erroneous} verifier errors; computational first errors found exactly {a.ComputationalFound}/{a.Computational} ({a.ComputationalRecall:P1}), " +
                              $"its computational labels right {a.LabelledComputationalRight}/{a.LabelledComputational} ({a.ComputationalPrecision:P1})");
            var table = new Table().AddColumn("verifier \\ labeller");
            foreach (var c in VerifierAgreement.Classes) table.AddColumn(c);
            foreach (var r in VerifierAgreement.Classes)
                table.AddRow([r, .. VerifierAgreement.Classes.Select(c => $"{a.Confusion.GetValueOrDefault((r, c))}")]);
            Console().Write(table);
        }
    }

    static IAnsiConsole Console() => AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Cli.Out), Interactive = InteractionSupport.No });

    static void Show(IAnsiConsole console, ReviewItem item, int n, int total)
    {
        console.Write(new Rule($"case {n}/{total}: {Markup.Escape(item.ProblemId)}#{item.Sample} ({item.Reason})"));
        console.Write(new Panel(Markup.Escape(item.Problem)).Header("problem"));
        var steps = new Table().AddColumns("#", "step");
        for (int i = 0; i < item.Steps.Count; i++) steps.AddRow($"{i}", Markup.Escape(item.Steps[i]));
        console.Write(steps);
        var votes = new Table().AddColumns("judge", "first wrong step", "type", "reason");
        foreach (var v in item.Votes)
            votes.AddRow(Markup.Escape(v.Judge), v.Abstained ? "abstained" : $"{v.FirstErrorStep}", Markup.Escape(v.ErrorType ?? "-"), Markup.Escape(v.Reason ?? ""));
        console.Write(votes);
        console.WriteLine($"panel: step {item.PanelStep?.ToString(CultureInfo.InvariantCulture) ?? "none"}, type {item.PanelType ?? "-"}");
    }

    /// <summary>Reads a verdict: a step (−1: all correct), then a type; 's' skips the case, 'q' or end of input stops.</summary>
    static (int Step, string? Type, string Note)? Ask(ReviewItem item)
    {
        while (true)
        {
            Cli.Out.Write($"first wrong step (-1 none, 0..{item.Steps.Count}), s skip, q quit: ");
            var line = System.Console.In.ReadLine()?.Trim();
            if (line is null or "q") return null;
            if (line == "s") return (int.MinValue, null, "");
            if (!int.TryParse(line, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var step) || step < -1 || step > item.Steps.Count)
            {
                Cli.Out.WriteLine($"  not a step of this solution (-1..{item.Steps.Count})");
                continue;
            }
            if (step < 0) return (-1, null, "human review: no error");
            var allowed = TaxonomyTypes.Allowed(Taxonomy.Default);
            while (true)
            {
                Cli.Out.Write($"type ({string.Join(", ", Taxonomy.Default.V2.Select(t => t.Id))}): ");
                var type = System.Console.In.ReadLine()?.Trim();
                if (type is null) return null;
                if (allowed.Contains(type)) return (step, type, "human review");
                Cli.Out.WriteLine($"  unknown type '{type}'");
            }
        }
    }
}
